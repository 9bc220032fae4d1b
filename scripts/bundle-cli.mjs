#!/usr/bin/env node
// Bundles the CLI (dist/cli/main.js and everything it reaches, the schema validator and the
// schema index included) into one CommonJS file, dist/stack.cjs, which bin/stack.cjs runs
// with a V8 code cache. Why: start-up was dominated by module loading (~40 ES modules
// resolved, read, linked and compiled on every run; Node 20 has no compile cache), not by
// our work. Measured on the hello fixture: `stack config` 183 ms from the separate modules,
// see bench/results for the bundled numbers.
//
// Modules that only some commands need and that are heavy or native stay outside the bundle
// and load lazily from node_modules: dockerode (TLS/ssh/exec/builds), listr2 (TTY progress),
// chokidar (watch), tar-fs (build contexts), @viz-js/viz (Graphviz in WebAssembly, 1.2 MB:
// `stack graph --format svg` only). `stack config` never loads them
// (test/cli/light-start.test.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/stack.cjs');
const EXTERNAL = ['dockerode', 'listr2', 'chokidar', 'tar-fs', '@viz-js/viz'];

// src/loader/validator.ts loads its two generated files through a local
// `const require = createRequire(import.meta.url)` (that works from src/ under vitest and
// from dist/). Dropping that line leaves the free `require`, which esbuild resolves at build
// time: both files are inlined instead of leaving runtime paths behind.
const VALIDATOR_REQUIRE = 'const require = createRequire(import.meta.url);';
const inlineValidator = {
  name: 'inline-validator',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]loader[\\/]validator\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8');
      if (!code.includes(VALIDATOR_REQUIRE))
        throw new Error(`bundle-cli: ${args.path} no longer uses ${VALIDATOR_REQUIRE}; update the plugin`);
      return { contents: code.replace(VALIDATOR_REQUIRE, ''), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

// commander requires node:child_process at load time, for executable subcommands, which the
// CLI has none of. Loading it (with net, dgram and the stream stack behind it) cost every run,
// `stack config` included, about 4 ms; commander gets a stand-in that loads it on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'lazy-child-process', namespace: 'stack-shim' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stack-shim' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

// The build the bundle is: a digest of the compiled code and the locked dependencies. Keys
// the model cache (src/cli/model-cache.ts), so a new build never reuses an old one's models.
function buildId() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '.cache') walk(path);
      else if (entry.isFile() && /\.(js|cjs|json)$/.test(entry.name) && path !== outfile)
        hash.update(path.slice(root.length)).update(readFileSync(path));
    }
  };
  walk(join(root, 'dist'));
  hash.update(readFileSync(join(root, 'package-lock.json')));
  return hash.digest('hex').slice(0, 24);
}

const result = await build({
  entryPoints: [join(root, 'dist/cli/main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: EXTERNAL,
  // No import() left in the bundle: the externals are all loadable with require(), and a
  // script compiled from a V8 code cache has no dynamic-import callback (exec loads dockerode
  // that way and failed with "A dynamic import callback was not specified").
  supported: { 'dynamic-import': false },
  // Other createRequire(import.meta.url) users resolve packages from node_modules: the
  // bundle's own location works for that.
  define: { 'import.meta.url': '__stack_bundle_url', __STACK_BUILD_ID__: JSON.stringify(buildId()) },
  banner: { js: "const __stack_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [inlineValidator, lazyChildProcess],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
// Older builds kept bin/stack.cjs's code cache here (now in the user's cache directory).
rmSync(join(root, 'dist/.cache'), { recursive: true, force: true });
// ASCII only (esbuild leaves non-ASCII in regular expressions and comments): bin/stack.cjs reads
// the bundle as latin1, ~4 ms faster than decoding UTF-8, and V8 keeps it as a one-byte string.
const text = readFileSync(outfile, 'utf8').replace(
  /[^\x00-\x7f]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
writeFileSync(outfile, text);
const bytes = Buffer.byteLength(text);
if (/\bimport\(/.test(text.replace(/\/\/.*$/gm, '')))
  throw new Error('bundle-cli: the bundle still contains import(); bin/stack.cjs cannot run it from a code cache');
process.stdout.write(
  `bundle: ${outfile} (${Math.round(bytes / 1024)} KiB, ${Object.keys(result.metafile.inputs).length} modules)\n`,
);

// The library for CommonJS callers (`require('stack-compose')`): dist/index.js bundled as one CommonJS
// file. Every package dependency stays external (resolved from the installer's node_modules).
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const libOut = join(root, 'dist/index.cjs');
await build({
  entryPoints: [join(root, 'dist/index.js')],
  outfile: libOut,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: Object.keys(pkg.dependencies ?? {}),
  define: { 'import.meta.url': '__stack_bundle_url' },
  banner: { js: "const __stack_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [inlineValidator],
  legalComments: 'none',
  logLevel: 'warning',
});
process.stdout.write(`library: ${libOut} (CommonJS)\n`);
