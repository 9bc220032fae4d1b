/**
 * `stack ls`: every project on the engine (stack's and Compose's: same labels), with the
 * state of its containers and its config files.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { Label } from '../../labels.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { formatTable } from './ps.js';
import { openEngine } from './session.js';
import { byCodePoint } from '../../order.js';

/** The flags of `ls`. */
export interface LsFlags {
  all?: boolean;
  format: 'table' | 'json';
  quiet?: boolean;
}

/** Runs `ls`. */
export async function runLs(ctx: CliContext, flags: LsFlags): Promise<CommandResult> {
  const engine = await openEngine(ctx);
  const containers = await engine.listContainers({ all: true, filters: { label: [Label.project] } }, ctx.signal);
  const projects = new Map<string, { states: Map<string, number>; files: string }>();
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const name = labels[Label.project];
    if (!name) continue;
    const entry = projects.get(name) ?? { states: new Map<string, number>(), files: labels[Label.configFiles] ?? '' };
    entry.states.set(c.State, (entry.states.get(c.State) ?? 0) + 1);
    projects.set(name, entry);
  }
  const rows = [...projects.entries()]
    .filter(([, p]) => flags.all || p.states.has('running'))
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([name, p]) => ({ name, status: [...p.states.entries()].sort().map(([s, n]) => `${s}(${n})`).join(', '), files: p.files }));
  if (flags.quiet) ctx.stdout.write(rows.map((r) => r.name + '\n').join(''));
  else if (flags.format === 'json') ctx.stdout.write(JSON.stringify(rows.map((r) => ({ Name: r.name, Status: r.status, ConfigFiles: r.files }))) + '\n');
  else ctx.stdout.write(formatTable(['NAME', 'STATUS', 'CONFIG FILES'], rows.map((r) => [r.name, r.status, r.files])));
  return ExitCode.ok;
}

export function registerLs(program: Command, run: Runner): void {
  program
    .command('ls')
    .description('list projects on the engine')
    .option('-a, --all', 'include stopped projects')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only print project names')
    .action((flags: LsFlags) => run((ctx) => runLs(ctx, flags)));
}
