/**
 * `stack ls`: every project on the engine (stack's and Compose's: same labels), with the
 * state of its containers and its config files.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { collect } from '../options.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { formatTable } from './ps.js';
import { openEngine } from './session.js';
import { swarmLs, swarmTarget } from './swarm.js';
import { listProjects } from '../../engine/observe.js';

/** The flags of `ls`. */
export interface LsFlags {
  all?: boolean;
  format: 'table' | 'json';
  quiet?: boolean;
  /** `name=REGEX` (repeatable; any may match), as Compose. */
  filter?: string[];
}

/** `--filter name=x` → the name patterns (exact or regular expression); USAGE on another key. */
export function nameFilters(filters: readonly string[]): ((name: string) => boolean) | undefined {
  if (filters.length === 0) return undefined;
  const patterns = filters.map((f) => {
    const match = /^([^=]+)=(.*)$/.exec(f);
    if (!match) throw new StackError('USAGE', `--filter expects KEY=VALUE, got "${f}"`);
    if (match[1] !== 'name') throw new StackError('USAGE', `invalid filter '${match[1]}' (supported: name)`);
    return match[2]!;
  });
  const test = (pattern: string, name: string): boolean => {
    try {
      return new RegExp(pattern).test(name);
    } catch {
      return false;
    }
  };
  return (name) => patterns.some((p) => p === name || test(p, name));
}

/** Runs `ls`. */
export async function runLs(ctx: CliContext, flags: LsFlags): Promise<CommandResult> {
  if (swarmTarget(ctx)) return swarmLs(ctx, flags);
  const matches = nameFilters(flags.filter ?? []);
  const engine = await openEngine(ctx);
  const rows = (await listProjects(engine, ctx.signal))
    .filter((p) => flags.all || p.states.has('running'))
    .filter((p) => !matches || matches(p.name))
    .map((p) => ({
      name: p.name,
      status: [...p.states.entries()]
        .sort()
        .map(([s, n]) => `${s}(${n})`)
        .join(', '),
      files: p.configFiles,
    }));
  if (flags.quiet) ctx.stdout.write(rows.map((r) => r.name + '\n').join(''));
  else if (flags.format === 'json')
    ctx.stdout.write(
      JSON.stringify(rows.map((r) => ({ Name: r.name, Status: r.status, ConfigFiles: r.files }))) + '\n',
    );
  else
    ctx.stdout.write(
      formatTable(
        ['NAME', 'STATUS', 'CONFIG FILES'],
        rows.map((r) => [r.name, r.status, r.files]),
      ),
    );
  return ExitCode.ok;
}

export function registerLs(program: Command, run: Runner): void {
  program
    .command('ls')
    .description('list projects on the engine')
    .option('-a, --all', 'include stopped projects')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only print project names')
    .option('--filter <name=value>', 'filter by project name, exact or a regular expression (repeatable)', collect, [])
    .action((flags: LsFlags) => run((ctx) => runLs(ctx, flags)));
}
