// ESM + @swc/jest: TypeScript 7 has no JS compiler API, so ts-jest cannot run; swc only strips types
// and `npm run typecheck` does the checking.
//
// Two projects, chosen by folder and name so a new test lands in the right one without editing this file:
// - unit: __tests__/{unit,action,contract,workflow-runner}: in-process, no bundle, container or sandbox
//   process (`npm run test:unit`, the inner loop). contract/test-projects.test.ts keeps it that way. The
//   workflow runner's tests run small fixture workflows whose bash steps, fixture node action and service
//   stand-ins (Debian's PostgreSQL and Redis on free loopback ports) are child processes (about 15 s in
//   all), never a bundle, container or sandbox.
// - e2e: __tests__/{integration,sandbox} and every *.bundle.test.ts (a test that runs a committed bundle
//   as a child process, as the runner does).
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
};

export const unitFolders = ['unit', 'action', 'contract', 'workflow-runner'];
const e2eFolders = ['integration', 'sandbox'];

export default {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/scripts/jest-strict-reporter.mjs'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: unitFolders.map((folder) => `<rootDir>/__tests__/${folder}`),
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.bundle\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/__tests__'],
      testMatch: [
        ...e2eFolders.map((folder) => `<rootDir>/__tests__/${folder}/**/*.test.ts`),
        '**/*.bundle.test.ts',
      ],
    },
  ],
};
