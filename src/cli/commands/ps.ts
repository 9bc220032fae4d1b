/**
 * `stack ps`: the project's containers as a table, JSON lines, IDs (`-q`) or service names.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { Label } from '../../labels.js';
import type { EngineContainer } from '../../engine/types.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';
import { swarmPs, swarmTarget } from './swarm.js';
import { listProjectContainers, primaryName } from '../../engine/observe.js';

/** The flags of `ps`. */
export interface PsFlags {
  all?: boolean;
  format: 'table' | 'json';
  quiet?: boolean;
  services?: boolean;
}

/** "127.0.0.1:8080->80/tcp, 443/tcp", like docker ps. */
export function formatPorts(c: EngineContainer): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const p of [...(c.Ports ?? [])].sort((a, b) => a.PrivatePort - b.PrivatePort)) {
    const text = p.PublicPort ? `${p.IP && p.IP !== '0.0.0.0' && p.IP !== '::' ? p.IP : '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`;
    if (!seen.has(text) && !(p.IP === '::' && seen.has(text.replace('::', '0.0.0.0')))) parts.push(text);
    seen.add(text);
  }
  return parts.join(', ');
}

/** Renders rows as an aligned table with a header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Runs `ps`. */
export async function runPs(ctx: CliContext, services: readonly string[], flags: PsFlags): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  if (swarmTarget(ctx, 'services' in target ? target : undefined)) return swarmPs(ctx, target, flags);
  const engine = await openEngine(ctx);
  const containers = (await listProjectContainers(engine, projectName(target), { services }, ctx.signal)).filter((c) => flags.all || c.State === 'running' || c.State === 'restarting');
  const label = (c: EngineContainer, key: string): string => (c.Labels ?? {})[key] ?? '';
  const name = (c: EngineContainer): string => primaryName(c.Names);
  if (flags.quiet) {
    ctx.stdout.write(containers.map((c) => c.Id + '\n').join(''));
  } else if (flags.services) {
    ctx.stdout.write([...new Set(containers.map((c) => label(c, Label.service)))].sort().map((s) => s + '\n').join(''));
  } else if (flags.format === 'json') {
    for (const c of containers) {
      const exit = /^Exited \((-?\d+)\)/.exec(c.Status);
      const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status);
      const row = {
        ID: c.Id,
        Name: name(c),
        Image: c.Image,
        Project: label(c, Label.project),
        Service: label(c, Label.service),
        State: c.State,
        Status: c.Status,
        Health: health ? health[1]!.replace('health: ', '') : '',
        ExitCode: exit ? Number(exit[1]) : 0,
        Created: c.Created,
        Ports: formatPorts(c),
      };
      ctx.stdout.write(JSON.stringify(row) + '\n');
    }
  } else {
    const rows = containers.map((c) => [name(c), c.Image, label(c, Label.service), c.Status, formatPorts(c)]);
    ctx.stdout.write(formatTable(['NAME', 'IMAGE', 'SERVICE', 'STATUS', 'PORTS'], rows));
  }
  return ExitCode.ok;
}

export function registerPs(program: Command, run: Runner): void {
  program
    .command('ps')
    .description('list the project\'s containers')
    .argument('[services...]', 'only these services')
    .option('-a, --all', 'include stopped containers')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only print container IDs')
    .option('--services', 'print the service names')
    .action((services: string[], flags: PsFlags) => run((ctx) => runPs(ctx, services, flags)));
}
