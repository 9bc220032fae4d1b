#!/usr/bin/env node
// Thin shim: runs the bundled CLI (dist/stack.cjs, made by `npm run build`) through a V8 code
// cache, so a run compiles almost nothing (Node 20 has no module compile cache of its own).
//
// The cache is built on first run in the user's cache directory, `$XDG_CACHE_HOME/stack/code`
// (else `~/.cache/stack/code`; bin/cache-dir.cjs, shared with the model cache), created 0700.
// Cached code is code: an entry is read only when it, its directory and the directory above
// are owned by the current user and writable by nobody else (never a shared temp dir). It is
// keyed by the bundle file's identity (device, inode, size, mtime), the command class (light
// commands compile the loader only, engine commands also the planner and reconciler) and the
// Node version, and written once, after a run that had none or whose cache V8 rejected; at
// most 32 entries are kept. No home, not writable, not trusted: no cache, same behaviour.
//
// CommonJS on purpose: an ES module entry point costs Node about 12 ms more to start.
'use strict';
// package.json `engines` says Node >= 20.19 (require() of ES modules, import.meta.resolve);
// npm only warns about it, so say it here, before an older Node fails somewhere obscure.
{
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    process.stderr.write(
      `error[UNSUPPORTED_NODE] stack needs Node.js >= 20.19; this is ${process.version} (${process.execPath})\n`,
    );
    process.exit(1);
  }
}
// A run lasts 0.1-0.3 s. With V8's default tiering budget, the parser's and the loader's loops
// get hot within ~10 ms of a large file and are sent to TurboFan, whose background compiles
// (up to 70 ms each for the YAML reader) finish after the work they were meant to speed up:
// CPU the machine pays for nothing, and on a busy CI machine wall time too. Eight times the
// budget (measured on 2026-12-03, `config` of 500 services with the model cache cold: CPU
// ~510 -> ~330 ms under load; a 9.9 MB file of 440k labels, which runs long enough to profit
// from TurboFan, 5.9 -> 5.6 s) leaves optimization to code that runs long.
require('node:v8').setFlagsFromString('--interrupt-budget=540672');
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');
const { untrustedReason, userCacheDir } = require('./cache-dir.cjs');

const dist = join(__dirname, '..', 'dist');
const bundle = join(dist, 'stack.cjs');
const argv = process.argv.slice(2);
// The commands that never load the engine modules: the same list as LIGHT_COMMANDS in
// src/cli/main.ts (test/cli/light-start.test.ts keeps the two equal).
const LIGHT_COMMANDS = ['config', 'version', 'convert'];

function loadCli() {
  let source;
  let stat;
  try {
    stat = statSync(bundle, { bigint: true });
    // ASCII by construction (scripts/bundle-cli.mjs): latin1 is the cheap exact decoding.
    source = readFileSync(bundle, 'latin1');
  } catch (error) {
    process.stderr.write(
      `error[INTERNAL] ${bundle} is missing: run \`npm run build\` first (${error.code ?? error.message})\n`,
    );
    process.exit(1);
  }
  const kind = argv.some((arg) => LIGHT_COMMANDS.includes(arg)) ? 'light' : 'engine';
  // Keyed by the bundle file's identity rather than a digest of its 1.2 MB (5 ms a run): a
  // build writes the file anew (new mtime), and two installs are two files.
  const id = [stat.dev, stat.ino, stat.size, stat.mtimeNs].map((n) => n.toString(36)).join('-');
  const base = userCacheDir(process.env);
  const dir = base === undefined ? undefined : join(base, 'code');
  const cacheFile = dir === undefined ? undefined : join(dir, `stack-${id}-${kind}-${process.version}.v8`);
  let cachedData;
  try {
    if (cacheFile !== undefined && trusted(base, 'dir') && trusted(dir, 'dir') && trusted(cacheFile, 'file'))
      cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The bundle has no import() (scripts/bundle-cli.mjs): no dynamic-import callback needed.
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, dist);
  const saveCache = () => {
    if (cacheFile === undefined || (cachedData !== undefined && !script.cachedDataRejected)) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!trusted(base, 'dir') || !trusted(dir, 'dir')) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, cacheFile);
      prune(dir);
    } catch {
      // read-only home, full disk: run without a cache
    }
  };
  return { main: module.exports.main, saveCache };
}

/** Whether `path` is ours and writable by nobody else (bin/cache-dir.cjs); false when it cannot be read. */
function trusted(path, kind) {
  try {
    return untrustedReason(path, kind) === undefined;
  } catch {
    return false;
  }
}

/** Keeps the 32 newest entries (old builds and Node versions go first); only after a write. */
function prune(dir) {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.v8'))
    .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of entries.slice(32)) rmSync(path, { force: true });
}

const { main, saveCache } = loadCli();
main(argv).then(
  (code) => {
    process.exitCode = code;
    saveCache();
  },
  (error) => {
    process.stderr.write(`error[INTERNAL] ${error?.message ?? error}\nThis is a bug in stack; please report it.\n`);
    process.exitCode = 1;
  },
);
