// ESM + @swc/jest: TypeScript 7 has no JS compiler API, so ts-jest cannot run; swc only strips types
// and `npm run typecheck` does the checking.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/scripts/jest-strict-reporter.mjs'],
};
