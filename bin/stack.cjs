#!/usr/bin/env node
// Thin shim: runs the bundled CLI (dist/stack.cjs, made by `npm run build`) through a V8 code
// cache, so a run compiles almost nothing (Node 20 has no module compile cache of its own).
//
// The cache lives in dist/.cache (never in a shared temp dir: a planted cache is code), is
// keyed by the bundle file's identity and by the command class (light commands compile the
// loader only, engine commands also the planner and reconciler), and is written once, after
// a run that had none or whose cache V8 rejected (another Node version). Not writable: no
// cache, same behaviour.
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
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

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
    source = readFileSync(bundle, 'utf8');
  } catch (error) {
    process.stderr.write(
      `error[INTERNAL] ${bundle} is missing: run \`npm run build\` first (${error.code ?? error.message})\n`,
    );
    process.exit(1);
  }
  const kind = argv.some((arg) => LIGHT_COMMANDS.includes(arg)) ? 'light' : 'engine';
  // Keyed by the bundle file's identity (inode, size, mtime in ns) rather than a digest of its
  // 1.2 MB (5 ms a run): a build writes the file anew and also empties dist/.cache.
  const id = `${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}`;
  const cacheFile = join(dist, '.cache', `stack-${id}-${kind}-${process.version}.v8`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The bundle has no import() (scripts/bundle-cli.mjs): no dynamic-import callback needed.
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, dist);
  const saveCache = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  };
  return { main: module.exports.main, saveCache };
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
