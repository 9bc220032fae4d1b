/**
 * `stack schema`: prints the JSON schema stack validates stack files with, the file the package
 * publishes as `stack-compose/schema.json` (docs/schema.md), for editors and other tools.
 * Resolved through the package's own name, so the bundled CLI, the library build and a
 * checkout all print the one published file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { Runner } from '../context.js';

/** The path of the published schema file. */
export function schemaPath(): string {
  try {
    return createRequire(import.meta.url).resolve('stack-compose/schema.json');
  } catch (error) {
    throw new StackError(
      'INTERNAL',
      'the published schema file is missing: run `npm run build` (it copies it to dist/stack.schema.json)',
      { cause: error },
    );
  }
}

export function registerSchema(program: Command, run: Runner): void {
  program
    .command('schema')
    .description('print the JSON schema of stack files (for editors: see docs/schema.md)')
    .option('--path', "print the schema file's path instead of its content")
    .action((flags: { path?: boolean }) =>
      run((ctx) => {
        const path = schemaPath();
        ctx.stdout.write(flags.path ? path + '\n' : readFileSync(path, 'utf8'));
        return Promise.resolve(ExitCode.ok);
      }),
    );
}
