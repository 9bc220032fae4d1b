/**
 * `stack start | stop | restart [services...]`: act on existing containers only (nothing is
 * created): start dependencies first, stop dependents first.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { Label } from '../../labels.js';
import type { StackModel } from '../../model.js';
import { buildGraph, reverseOrder, topoOrder } from '../../planner/graph.js';
import type { Engine, EngineContainer } from '../../engine/types.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { listProjectContainers } from '../../pipeline/apply.js';
import { loadProjectOrName, lockProject, openEngine, projectName } from './session.js';
import { primaryName } from '../../engine/observe.js';

type Verb = 'start' | 'stop' | 'restart';

/** Services in the order to act on: dependencies first for start, dependents first otherwise. */
function serviceOrder(target: StackModel | { project: string }, containers: readonly EngineContainer[], verb: Verb): string[] {
  const present = [...new Set(containers.map((c) => (c.Labels ?? {})[Label.service] ?? ''))].sort();
  if (!('services' in target)) return verb === 'start' ? present : present.reverse();
  const graph = buildGraph(target);
  const topo = topoOrder(graph);
  const order = verb === 'start' ? (topo.ok ? [...topo.order] : graph.services) : [...reverseOrder(graph)];
  return [...order.filter((s) => present.includes(s)), ...present.filter((s) => !order.includes(s))];
}

async function act(engine: Engine, verb: Verb, c: EngineContainer, timeout: number | undefined): Promise<void> {
  if (verb === 'start') await engine.startContainer(c.Id);
  else if (verb === 'stop') await engine.stopContainer(c.Id, timeout);
  else await engine.restartContainer(c.Id, timeout);
}

const DONE: Record<Verb, string> = { start: 'Started', stop: 'Stopped', restart: 'Restarted' };

/** Runs start, stop or restart. */
export async function runLifecycle(ctx: CliContext, verb: Verb, services: readonly string[], flags: { timeout?: string }): Promise<CommandResult> {
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0)) throw new StackError('USAGE', `-t/--timeout expects whole seconds, got "${flags.timeout}"`);
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const project = projectName(target);
  // Serialized with up/down/watch on the project: a stop never interleaves with a recreate.
  const lock = await lockProject(ctx, project, `stack ${verb}${services.length > 0 ? ' ' + services.join(' ') : ''}`);
  const failures: string[] = [];
  try {
    const containers = await listProjectContainers(engine, project, services, ctx.signal);
    for (const service of serviceOrder(target, containers, verb)) {
      if (ctx.signal.aborted) break;
      const mine = containers.filter((c) => (c.Labels ?? {})[Label.service] === service);
      await Promise.all(
        mine.map(async (c) => {
          const name = primaryName(c.Names) || c.Id;
          try {
            await act(engine, verb, c, timeout);
            if (ctx.progress !== 'quiet') ctx.stderr.write(` Container ${name}  ${DONE[verb]}\n`);
          } catch (error) {
            failures.push(`  service:${service} (${name}): ${(error as Error).message}`);
          }
        }),
      );
    }
  } finally {
    lock.release();
  }
  if (failures.length > 0) throw new StackError('APPLY_FAILED', `${verb} failed:\n${failures.join('\n')}`);
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

function register(program: Command, run: Runner, verb: Verb, description: string): void {
  const command = program.command(verb).description(description).argument('[services...]', 'only these services');
  if (verb !== 'start') command.option('-t, --timeout <seconds>', 'seconds to wait for each container to stop');
  command.action((services: string[], flags: { timeout?: string }) => run((ctx) => runLifecycle(ctx, verb, services, flags)));
}

export function registerStart(program: Command, run: Runner): void {
  register(program, run, 'start', 'start existing containers');
}
export function registerStop(program: Command, run: Runner): void {
  register(program, run, 'stop', 'stop running containers without removing them');
}
export function registerRestart(program: Command, run: Runner): void {
  register(program, run, 'restart', 'restart containers');
}
