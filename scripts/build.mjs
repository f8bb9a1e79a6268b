// npm run build [-- --out DIR] [-- --start-report]: type-check and compile src/ with tsc into lib/, then
// bundle each action's lib/<name>/index.js with esbuild into DIR/<name>/ (ESM, code splitting, minified),
// write its licenses.txt, and regenerate action-docs/. check-dist passes a temporary DIR and compares.
//
// Why esbuild and not ncc (issue 11: keep ncc unless measured). `npm run bench -- bundles`, Node 24,
// a runner-style start that stops at input validation, median of 15 interleaved runs, one run on a busy
// shared machine (node -e 0: 44.6 ms), ratios against the anchors measured in the same run
// (Azure/webapps-deploy v3.0.8: 266.0 ms, Jtalk/url-health-check v4: 93.3 ms):
//   bundle         ncc (main)      ncc + lazy undici   esbuild (this file)   budget   JS at start, ncc → esbuild
//   build-image    151.9 ms 0.57×  143.3 ms 0.54×      87.2 ms 0.33×         0.5×     1,270 → 100 KiB
//   deploy-slot    140.0 ms 0.53×  151.8 ms 0.57×      76.8 ms 0.29×         0.5×     1,206 →  87 KiB
//   security-scan  152.0 ms 1.63×  123.1 ms 1.32×      80.1 ms 0.86×         1.0×     1,246 →  53 KiB
//   smoke-test     140.6 ms 1.51×  130.2 ms 1.40×      82.5 ms 0.88×         1.0×     1,280 →  34 KiB
// ncc misses every budget, even with the same lazy imports in src/: its index.js still holds 1.3 MB,
// undici included, because @actions/core imports its OIDC client (@actions/http-client, undici)
// statically and ncc has no hook to defer that; esbuild's plugin below loads it on the first
// getIDToken. dist/: 22.9 MB with maps, 11.1 MB without → 4.3 MB.
//
// - No source maps: the runner never enables them, ncc's maps pointed at the compiled lib/*.js rather
//   than src/*.ts, they were half of dist/, and their register script loaded on every start.
// - `open` (and its xdg-open script) is replaced by a stub that throws: @azure/identity imports it only
//   for the interactive browser credential, which slotline never builds. The build fails if it slips in.
// - Reproducible: esbuild hashes module paths into chunk names, so everything it sees is relative to
//   the repository (absWorkingDir, the plugins' paths); a build in another checkout is byte-identical.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { writeActionDocs } from './action-docs.mjs';
import { actionNames, repoRoot } from './actions.mjs';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    docs: { type: 'string' },
    'start-report': { type: 'boolean', default: false },
  },
});
const outDir = values.out ?? join(repoRoot, 'dist');

// Deps written as CommonJS call require() for Node's modules; an ESM bundle has none unless we make one.
const BANNER =
  "import{createRequire as __slotlineRequire}from'node:module';const require=__slotlineRequire(import.meta.url);";

/** @actions/core loads its OIDC client (@actions/http-client, undici, tunnel) at import; we load it on the first getIDToken. */
const lazyOidcClient = {
  name: 'lazy-oidc-client',
  setup(b) {
    b.onLoad({ filter: /[\\/]@actions[\\/]core[\\/]lib[\\/]core\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const staticImport = "import { OidcClient } from './oidc-utils.js';";
      const use = 'return yield OidcClient.getIDToken(aud);';
      if (!source.includes(staticImport) || !source.includes(use)) {
        return {
          errors: [
            { text: '@actions/core changed: lazy-oidc-client in scripts/build.mjs no longer applies' },
          ],
        };
      }
      return {
        contents: source
          .replace(staticImport, '')
          .replace(use, "return yield (yield import('./oidc-utils.js')).OidcClient.getIDToken(aud);"),
        loader: 'js',
      };
    });
  },
};

/** `open` only serves @azure/identity's interactive browser sign-in, which slotline never builds. */
const stubOpen = {
  name: 'stub-open',
  setup(b) {
    // A relative, made-up path: esbuild hashes it into chunk names.
    b.onResolve({ filter: /^open$/ }, () => ({ path: 'open', namespace: 'slotline-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'slotline-stub' }, () => ({
      contents:
        "export default function open(){throw new Error('slotline does not open a browser (interactive sign-in is not supported)')}",
      loader: 'js',
    }));
  },
};

/**
 * `await import('yaml')` of a CommonJS package gives Node's named exports (parse, …), but an esbuild
 * chunk for it exports only `default`. Such an import goes through a module that re-exports the
 * package's keys by name, as Node would, and its module.exports as default.
 */
const cjsDynamicImports = {
  name: 'cjs-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.namespace !== 'file') return undefined;
      const resolved = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      if (resolved.errors.length > 0 || !isCommonJs(resolved.path)) return undefined;
      // A bare package name, not a file path: esbuild hashes it into chunk names.
      return { path: args.path, namespace: 'slotline-cjs', pluginData: { file: resolved.path } };
    });
    b.onLoad({ filter: /.*/, namespace: 'slotline-cjs' }, (args) => {
      const cjs = createRequire(args.pluginData.file)(args.pluginData.file);
      const names = Object.keys(cjs)
        .filter((key) => key !== 'default' && key !== '__esModule')
        .sort();
      return {
        contents: [
          `const cjs = require(${JSON.stringify(args.path)});`,
          'export default cjs;',
          ...names.map(
            (key, i) =>
              `const n${i} = cjs[${JSON.stringify(key)}]; export { n${i} as ${JSON.stringify(key)} };`,
          ),
        ].join('\n'),
        loader: 'js',
        resolveDir: repoRoot,
      };
    });
  },
};

function isCommonJs(file) {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs') || !file.endsWith('.js')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, 'utf8')).type !== 'module';
  }
  return true;
}

/** The folder of the package a bundled file belongs to, e.g. node_modules/@azure/identity. */
function packageDirOf(inputPath) {
  const parts = inputPath.split(/[\\/]/);
  const last = parts.lastIndexOf('node_modules');
  if (last < 0) return undefined;
  const scoped = parts[last + 1]?.startsWith('@');
  return parts.slice(0, last + (scoped ? 3 : 2)).join('/');
}

/** Like ncc's licenses.txt: each bundled package's name, license and license text. */
function licensesText(metafile) {
  const dirs = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = bytesInOutput > 0 ? packageDirOf(input) : undefined;
      if (dir) dirs.add(dir);
    }
  }
  const entries = new Map();
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(join(repoRoot, dir))
      .filter((f) => /^(licen[cs]e|copying)/i.test(f))
      .sort()[0];
    const text = licenseFile ? readFileSync(join(repoRoot, dir, licenseFile), 'utf8').trim() : '';
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    const key = `${pkg.name}@${pkg.version}`;
    if (!entries.has(key)) entries.set(key, `${pkg.name}\n${license}\n${text}\n`);
  }
  return `${[...entries.keys()]
    .sort()
    .map((k) => entries.get(k))
    .join('\n')}`;
}

/** The JavaScript a bundle loads before its first dynamic import: the entry and its static imports. */
function startClosure(metafile, entryOutput) {
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imp of metafile.outputs[path]?.imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
    }
  };
  visit(entryOutput);
  const bytes = [...seen].reduce((sum, path) => sum + metafile.outputs[path].bytes, 0);
  // Which packages (or src folders) make up the start path, largest first.
  const byPackage = new Map();
  for (const path of seen) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[path].inputs)) {
      const key =
        packageDirOf(input)?.replace(/^.*node_modules\//, '') ?? input.split('/').slice(0, 2).join('/');
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return { files: seen.size, bytes, byPackage: [...byPackage].sort((a, b) => b[1] - a[1]) };
}

async function bundleAction(name, dir) {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [join('lib', name, 'index.js')],
    outdir: relative(repoRoot, dir) || '.',
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    splitting: true,
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    chunkNames: '[name]-[hash]',
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'warning',
    plugins: [lazyOidcClient, stubOpen, cjsDynamicImports],
  });
  const metafile = result.metafile;
  const inputs = Object.keys(metafile.inputs);
  const openPackage = inputs.filter((p) => /(^|\/)node_modules\/(open|xdg-open)\//.test(p));
  const xdgOpen = readdirSync(dir).filter(
    (f) => f.endsWith('.js') && readFileSync(join(dir, f), 'utf8').includes('xdg-open'),
  );
  if (openPackage.length > 0 || xdgOpen.length > 0) {
    throw new Error(
      `${name}: the open package / xdg-open would be bundled (${[...openPackage, ...xdgOpen].join(', ')})`,
    );
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, 'licenses.txt'), licensesText(metafile));
  const entry = join('lib', name, 'index.js').split(sep).join('/');
  const entryOutput = Object.keys(metafile.outputs).find((p) => metafile.outputs[p].entryPoint === entry);
  return { metafile, start: startClosure(metafile, entryOutput) };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

const bin = (tool) => join(repoRoot, 'node_modules', '.bin', tool);
rmSync(join(repoRoot, 'lib'), { recursive: true, force: true });
execFileSync(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
rmSync(outDir, { recursive: true, force: true });
for (const name of actionNames()) {
  const dir = join(outDir, name);
  const { start } = await bundleAction(name, dir);
  if (values['start-report']) {
    console.log(`${name}: ${kib(start.bytes)} of JavaScript loaded at start, in ${start.files} file(s)`);
    for (const [pkg, bytes] of start.byPackage.slice(0, 12))
      console.log(`  ${kib(bytes).padStart(8)}  ${pkg}`);
  }
}
writeActionDocs(values.docs ?? join(repoRoot, 'action-docs'));
console.log(`built ${actionNames().join(', ')} into ${outDir}`);
