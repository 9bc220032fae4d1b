#!/usr/bin/env node
// Thin shim: the CLI lives in dist/cli (run `npm run build` first).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`error[INTERNAL] ${error?.message ?? error}\nThis is a bug in stack; please report it.\n`);
    process.exitCode = 1;
  },
);
