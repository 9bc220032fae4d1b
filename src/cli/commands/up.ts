/**
 * `stack up`: load → lock → images → observe → plan → execute, then `--wait` for health, or (attached,
 * the default) print service-prefixed logs until Ctrl-C, which stops the stack gracefully.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { Label } from '../../labels.js';
import type { StackModel } from '../../model.js';
import { buildGraph, completionDependencies, reverseOrder, selectServices } from '../../planner/graph.js';
import type { Engine } from '../../engine/types.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { applyPlans, listProjectContainers } from '../../pipeline/apply.js';
import { followProjectLogs, sourcesOf, streamLogsReporting } from './log-stream.js';
import type { ObservedImage, UpOptions } from '../../planner/types.js';
import { loadPlanner, loadProject, lockProject, openEngine } from './session.js';
import { observe, primaryName } from '../../engine/observe.js';

/** The flags of `up`. */
export interface UpFlags {
  detach?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  renewAnonVolumes?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  scale: string[];
  yes?: boolean;
  start?: boolean;
  /** `--build` true, `--no-build` false, neither undefined. */
  build?: boolean;
  pull?: string;
  /** `--no-lock`: ignore stack.lock.json. */
  lock?: boolean;
  watch?: boolean;
}

const PULL_MODES = ['policy', 'always', 'missing', 'never'] as const;
type UpPullMode = (typeof PULL_MODES)[number];

function parsePull(value: string | undefined): UpPullMode {
  if (value === undefined) return 'policy';
  const mode = PULL_MODES.find((m) => m === value);
  if (!mode) throw new StackError('USAGE', `--pull expects one of ${PULL_MODES.join(', ')}, got "${value}"`);
  return mode;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--scale web=3` → { web: 3 }; USAGE on a malformed entry. */
export function parseScale(entries: readonly string[]): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const entry of entries) {
    const match = /^([^=]+)=(\d+)$/.exec(entry);
    if (!match) throw new StackError('USAGE', `--scale expects SERVICE=NUMBER, got "${entry}"`);
    scale[match[1]!] = Number(match[2]);
  }
  return scale;
}

function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new StackError('USAGE', `${flag} expects a number of seconds, got "${value}"`);
  return n;
}

function checkServices(model: StackModel, services: readonly string[]): void {
  const unknown = services.filter((s) => !model.services[s]);
  if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')} (services: ${Object.keys(model.services).sort().join(', ')})`);
}

/**
 * Waits until every selected service is running (healthy when it has a healthcheck; run-once
 * jobs exited 0). The targets are the containers the run left (`--scale` counts, numbers that
 * need not be 1..n after a scale down); a service that wants replicas but has none is waited
 * on by its canonical names, so the wait names it.
 */
async function waitForStack(ctx: CliContext, engine: Engine, model: StackModel, selected: ReadonlySet<string>, scale: Readonly<Record<string, number>>, timeoutMs: number): Promise<void> {
  const { ContainerWatcher } = await import('../../pipeline/wait.js');
  const { replicaNames } = await import('../../pipeline/wait-gates.js');
  const jobs = completionDependencies(model);
  const present = await listProjectContainers(engine, model.name, [...selected], ctx.signal);
  const watcher = new ContainerWatcher(engine, model.name, ctx.signal);
  try {
    const targets = [...selected].sort().flatMap((service) => {
      const mine = present.filter((c) => (c.Labels ?? {})[Label.service] === service).map((c) => primaryName(c.Names) || c.Id);
      const wanted = replicaNames(model, service, scale);
      return (wanted.length === 0 ? [] : mine.length > 0 ? mine : wanted).map((container) => ({
        service,
        container,
        condition: jobs.has(service) ? ('service_completed_successfully' as const) : ('running_or_healthy' as const),
        required: true,
      }));
    });
    await Promise.all(targets.map((t) => watcher.waitFor(t, { timeoutMs, signal: ctx.signal })));
  } finally {
    watcher.close();
  }
}

/** Stops the selected services' containers, dependents first (attached `up` after Ctrl-C). */
async function stopGracefully(ctx: CliContext, engine: Engine, model: StackModel, selected: ReadonlySet<string>): Promise<void> {
  ctx.stderr.write('Gracefully stopping... (press Ctrl-C again to force)\n');
  const containers = await listProjectContainers(engine, model.name, [...selected]);
  for (const service of reverseOrder(buildGraph(model))) {
    const mine = containers.filter((c) => (c.Labels ?? {})['com.docker.compose.service'] === service && c.State === 'running');
    await Promise.all(
      mine.map(async (c) => {
        const grace = model.services[service]?.stopGracePeriod;
        await engine.stopContainer(c.Id, grace === undefined ? undefined : Math.ceil(grace / 1e9)).catch(() => undefined);
        ctx.stderr.write(` Container ${primaryName(c.Names) || c.Id}  Stopped\n`);
      }),
    );
  }
}

/**
 * Images before planning: the lock file pins digests (drift is reported), then whatever the
 * selected services need is built or pulled under `--build` / `--no-build` / `--pull` and each
 * service's pull_policy. `images` is the model's image list as just observed. Returns the model
 * to plan with (pinned when a lock applies) and whether anything was pulled or built.
 */
async function prepareImages(ctx: CliContext, engine: Engine, model: StackModel, images: readonly ObservedImage[], selected: ReadonlySet<string>, flags: UpFlags): Promise<{ model: StackModel; changed: boolean }> {
  const { ensureImages, loadAndApplyLock } = await import('../../images/index.js');
  let effective = model;
  if (flags.lock !== false) {
    const applied = await loadAndApplyLock(model, images);
    if (applied) {
      effective = applied.model;
      const where = relative(ctx.cwd, applied.path) || applied.path;
      for (const drift of applied.drift.filter((d) => selected.has(d.service) || d.kind === 'service_removed')) ctx.stderr.write(`warning: ${where}: ${drift.message}\n`);
    }
  }
  const { createImageProgress } = await import('../../images/render-progress.js');
  const progress = createImageProgress({ mode: ctx.progress, out: ctx.stderr });
  try {
    const result = await ensureImages(engine, effective, { images }, {
      build: flags.build === true ? 'always' : flags.build === false ? 'never' : 'auto',
      pull: parsePull(flags.pull),
      services: [...selected].sort(),
      env: ctx.env,
      signal: ctx.signal,
      onEvent: (e) => progress.onEvent(e),
      ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
    });
    for (const warning of result.warnings) ctx.stderr.write(`warning: ${warning}\n`);
    return { model: effective, changed: result.built.length > 0 || result.pulled.length > 0 };
  } finally {
    progress.end();
  }
}

/** Runs `up`. */
export async function runUp(ctx: CliContext, services: readonly string[], flags: UpFlags): Promise<CommandResult> {
  const scale = parseScale(flags.scale);
  const waitTimeout = parseSeconds(flags.waitTimeout, '--wait-timeout');
  if (flags.forceRecreate && flags.recreate === false) throw new StackError('USAGE', '--force-recreate and --no-recreate cannot be combined');
  if (flags.watch && (flags.detach || flags.wait)) throw new StackError('USAGE', '--watch runs attached; it cannot be combined with --detach or --wait');
  parsePull(flags.pull);
  const loaded = await loadProject(ctx, services);
  checkServices(loaded, services);
  const selected = selectServices(buildGraph(loaded), services.length > 0 ? services : undefined, flags.deps === false);
  const planner = await loadPlanner();
  const engine = await openEngine(ctx);
  const options: UpOptions = {
    ...(services.length > 0 ? { services } : {}),
    ...(flags.forceRecreate ? { forceRecreate: true } : {}),
    ...(flags.recreate === false ? { noRecreate: true } : {}),
    ...(flags.deps === false ? { noDeps: true } : {}),
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
    ...(flags.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    ...(Object.keys(scale).length > 0 ? { scale } : {}),
    // Destructive actions are planned, then confirmed (prompt, or --yes when not interactive).
    allowDestructive: true,
    ...(flags.start === false ? { noStart: true } : {}),
  };
  // The lock covers building and pulling too: two `up`s never build at once.
  const lock = await lockProject(ctx, loaded.name, `stack up${services.length > 0 ? ' ' + services.join(' ') : ''}`);
  let startedAt: number;
  let model: StackModel;
  try {
    // One observation serves the image step and, when that pulled or built nothing and no lock
    // file re-pinned the images, the plan too: a no-op `up` asks the engine once.
    const observed = await observe(engine, loaded, { signal: ctx.signal });
    const images = await prepareImages(ctx, engine, loaded, observed.images, selected, flags);
    model = images.model;
    const pinned = model;
    const result = await applyPlans(ctx, engine, model, (state) => planner.planUp(pinned, state, options), {
      yes: flags.yes === true,
      model: pinned,
      ...(pinned === loaded && !images.changed ? { observed } : {}),
      ...(waitTimeout !== undefined ? { waitTimeoutMs: waitTimeout * 1000 } : {}),
    });
    startedAt = result.startedAt;
    for (const note of result.plan.notes) ctx.stderr.write(`note: ${note}\n`);
  } finally {
    lock.release();
  }
  if (flags.watch) return watchAttached(ctx, engine, model, services, selected, startedAt, flags);
  if (flags.wait) {
    await waitForStack(ctx, engine, model, selected, scale, (waitTimeout ?? 300) * 1000);
    return ExitCode.ok;
  }
  if (flags.detach || flags.start === false) return ExitCode.ok;

  // Attached: logs from the moment this run started, until every container ends or Ctrl-C.
  const containers = await listProjectContainers(engine, model.name, [...selected]);
  const sources = await sourcesOf(engine, containers);
  // The log streams outlive Ctrl-C: what containers print while stopping is still shown, and
  // each stream ends when its container stops. A second Ctrl-C exits at once (the frame).
  const logs = new AbortController();
  let stopping: Promise<void> | undefined;
  const onInterrupt = (): void => {
    stopping = stopGracefully(ctx, engine, model, selected).finally(() => logs.abort());
  };
  if (ctx.signal.aborted) onInterrupt();
  else ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  try {
    await streamLogsReporting(ctx, engine, sources, { follow: true, since: startedAt, timestamps: false, signal: logs.signal });
    await stopping;
  } finally {
    ctx.signal.removeEventListener('abort', onInterrupt);
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

/**
 * `up --watch`: logs of every container of the selection (recreated ones included) while the
 * watch session reloads on each change; Ctrl-C stops watching, then stops the stack like
 * attached `up`.
 */
async function watchAttached(ctx: CliContext, engine: Engine, model: StackModel, services: readonly string[], selected: ReadonlySet<string>, startedAt: number, flags: UpFlags): Promise<CommandResult> {
  const { createWatchReconcile } = await import('./watch.js');
  const { runWatchSession } = await import('../../watch/session.js');
  const logs = new AbortController();
  const initial = await sourcesOf(engine, await listProjectContainers(engine, model.name, [...selected]));
  const following = followProjectLogs(ctx, engine, model.name, initial, { since: startedAt, services: [...selected], signal: logs.signal });
  try {
    return await runWatchSession(ctx, model, {
      reconcile: createWatchReconcile(ctx, engine, { ...(services.length > 0 ? { services } : {}), ...(flags.deps === false ? { noDeps: true } : {}), ...(flags.yes ? { yes: true } : {}) }),
      services,
      engine,
      stopOnExit: (latest) => stopGracefully(ctx, engine, latest, selectServices(buildGraph(latest), services.length > 0 ? services : undefined, flags.deps === false)),
    });
  } finally {
    logs.abort();
    await following;
  }
}

export function registerUp(program: Command, run: Runner): void {
  program
    .command('up')
    .description('create and start the stack (attached: print logs until Ctrl-C)')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('-d, --detach', 'run in the background')
    .option('--force-recreate', 'recreate containers even if their configuration is unchanged')
    .option('--no-recreate', 'never recreate existing containers')
    .option('--no-deps', 'do not start the services the named ones depend on')
    .option('--remove-orphans', 'remove containers of services no longer in the stack file')
    .option('-V, --renew-anon-volumes', 'recreate anonymous volumes instead of carrying them over')
    .option('--wait', 'wait until services are running/healthy (implies --detach)')
    .option('--wait-timeout <seconds>', 'timeout for --wait and depends_on conditions')
    .option('--scale <service=n>', 'number of replicas of a service (repeatable)', collect, [])
    .option('-y, --yes', 'apply destructive actions without asking')
    .option('--no-start', 'create but do not start containers')
    .option('--build', 'build images before starting, even when they exist')
    .option('--no-build', 'never build; fail when an image with a build section is missing')
    .option('--pull <policy>', 'pull images: policy (each service\'s pull_policy, default), always, missing, never')
    .option('--no-lock', 'ignore stack.lock.json (use the tags in the stack file)')
    .option('-w, --watch', 'watch the stack files and develop.watch paths and apply every change (attached)')
    .action((services: string[], flags: UpFlags) => run((ctx) => runUp(ctx, services, flags)));
}
