/**
 * `stack ps`: the project's containers as a table, JSON lines, IDs (`-q`) or service names.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { booleanFlag, collect } from '../options.js';
import { DEFAULT_PS_FORMAT, psFields, renderTemplate } from './ps-format.js';
import { Label } from '../../labels.js';
import type { EngineContainer } from '../../engine/types.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';
import { swarmPs, swarmTarget } from './swarm.js';
import { listProjectContainers } from '../../engine/observe.js';

/** The flags of `ps`. */
export interface PsFlags {
  all?: boolean;
  /** `table`, `json`, or a Go template (`table {{.Name}}\t{{.Status}}`, `{{.ID}}`). */
  format?: string;
  quiet?: boolean;
  services?: boolean;
  /** `status=running` (the one filter Compose has). */
  filter?: string;
  status?: string[];
  trunc?: boolean;
  /** `--no-orphans`: only services of the stack file. */
  orphans?: boolean;
}

const STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

/**
 * `--filter status=x` and `--status x` (repeatable) → the states asked for, checked against
 * `allowed` (a container's states; the swarm target passes a task's).
 */
export function statusFilter(flags: Pick<PsFlags, 'filter' | 'status'>, allowed: readonly string[] = STATES): string[] {
  const states = [...(flags.status ?? [])];
  if (flags.filter !== undefined) {
    const match = /^([^=]+)=(.*)$/.exec(flags.filter);
    if (!match) throw new StackError('USAGE', `--filter expects KEY=VALUE, got "${flags.filter}"`);
    if (match[1] !== 'status') throw new StackError('USAGE', `unknown filter ${match[1]} (supported filters: status)`);
    states.push(match[2]!);
  }
  for (const state of states)
    if (!allowed.includes(state))
      throw new StackError('USAGE', `invalid status "${state}" (one of ${allowed.join(', ')})`);
  return states;
}

/** "127.0.0.1:8080->80/tcp, 443/tcp", like docker ps. */
export function formatPorts(c: EngineContainer): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const p of [...(c.Ports ?? [])].sort((a, b) => a.PrivatePort - b.PrivatePort)) {
    const text = p.PublicPort
      ? `${p.IP && p.IP !== '0.0.0.0' && p.IP !== '::' ? p.IP : '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`
      : `${p.PrivatePort}/${p.Type}`;
    if (!seen.has(text) && !(p.IP === '::' && seen.has(text.replace('::', '0.0.0.0')))) parts.push(text);
    seen.add(text);
  }
  return parts.join(', ');
}

/** Renders rows as an aligned table with a header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Runs `ps`. */
export async function runPs(ctx: CliContext, services: readonly string[], flags: PsFlags): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  if (swarmTarget(ctx, 'services' in target ? target : undefined)) return swarmPs(ctx, target, services, flags);
  const states = statusFilter(flags);
  const engine = await openEngine(ctx);
  const declared = 'services' in target && flags.orphans === false ? Object.keys(target.services) : undefined;
  const listed = await listProjectContainers(
    engine,
    projectName(target),
    { services, oneoffs: flags.all === true },
    ctx.signal,
  );
  const containers = listed
    .filter((c) =>
      states.length > 0 ? states.includes(c.State) : flags.all || c.State === 'running' || c.State === 'restarting',
    )
    .filter((c) => !declared || declared.includes(label(c, Label.service)));
  const format = flags.format ?? 'table';
  if (flags.quiet) {
    ctx.stdout.write(containers.map((c) => c.Id + '\n').join(''));
  } else if (flags.services) {
    ctx.stdout.write([...new Set(containers.map((c) => label(c, Label.service)))].map((s) => s + '\n').join(''));
  } else {
    const now = Date.now();
    const rows = containers.map((c) => ({
      fields: psFields(c, { trunc: flags.trunc !== false, ports: formatPorts(c), now }),
      labels: c.Labels ?? {},
    }));
    if (format === 'json') ctx.stdout.write(rows.map((r) => JSON.stringify(r.fields) + '\n').join(''));
    else ctx.stdout.write(renderTemplate(format === 'table' ? DEFAULT_PS_FORMAT : format, rows));
  }
  return ExitCode.ok;
}

function label(c: EngineContainer, key: string): string {
  return (c.Labels ?? {})[key] ?? '';
}

export function registerPs(program: Command, run: Runner): void {
  program
    .command('ps')
    .description("list the project's containers")
    .argument('[services...]', 'only these services')
    .option('-a, --all', 'include stopped containers (and one-off containers of `run`)')
    .option(
      '--format <format>',
      'table, json, or a Go template (`table {{.Name}}\\t{{.Status}}`, `{{json .}}`)',
      'table',
    )
    .option('-q, --quiet', 'only print container IDs')
    .option('--services', 'print the service names')
    .option('--filter <key=value>', 'filter by a property (supported: status)')
    .option(
      '--status <status>',
      'only containers in this state (repeatable): paused, restarting, removing, running, dead, created, exited',
      collect,
      [],
    )
    .option('--no-trunc', 'do not truncate IDs and commands')
    .addOption(
      new Option('--orphans [bool]', 'include containers of services not in the stack file (default true)')
        .argParser(booleanFlag('--orphans'))
        .preset(true),
    )
    .option('--no-orphans', 'leave out containers of services not in the stack file')
    .action((services: string[], flags: PsFlags) => run((ctx) => runPs(ctx, services, flags)));
}
