/**
 * The commands on the Swarm target (`--target swarm`, STACK_TARGET=swarm, or `x-stack:
 * {target: swarm}` in the file): `up -d [--wait]`, `plan`, `down`, `ps`, `logs`, `ls`,
 * `config` through src/targets/swarm. Each command of the local target asks `swarmTarget`
 * first and hands over here when it says so.
 */
import { ExitCode, StackError, diagnostic, throwIfErrors } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { CliContext, CommandResult } from '../context.js';
import { writeDiagnostics, writeMessage } from '../../render/diagnostics.js';
import { jsonEvent } from '../../render/json.js';
import { resolveTarget } from '../../targets/swarm/target.js';
import { formatTable, statusFilter } from './ps.js';
import type { PsFlags } from './ps.js';
import { nameFilters } from './ls.js';
import type { LsFlags } from './ls.js';
import { renderTemplate } from './ps-format.js';
import type { SwarmLoad } from '../../targets/swarm/commands.js';
import type { SwarmHooks } from '../../targets/swarm/loop.js';
import type { ServiceProgress } from '../../targets/swarm/wait.js';

/**
 * Whether this run goes to Swarm: `--target`, else STACK_TARGET, else the file's `x-stack`
 * (read only when a model is at hand; without a file the local target is the default).
 */
export function swarmTarget(ctx: CliContext, model?: Pick<StackModel, 'extensions'>): boolean {
  return resolveTarget(ctx.globals.target, ctx.env, model?.extensions ?? {}) === 'swarm';
}

/**
 * Prints the model's warnings as its target reports them: on Swarm (the file's `x-stack`, the
 * flag or STACK_TARGET), the swarm target's (a deploy key Swarm implements is not "not
 * implemented"); elsewhere the loader's, once.
 */
export async function printTargetWarnings(
  ctx: CliContext,
  model: StackModel,
  options: { readonly validate?: boolean } = {},
): Promise<void> {
  if (!swarmTarget(ctx, model)) return ctx.printWarnings(model);
  const { loadForSwarm, swarmWarnings } = await import('../../targets/swarm/commands.js');
  const loaded = await ctx.loadCached('swarm', loadForSwarm);
  // `config -q` and its listings validate the file for its target, as `up` would: what Swarm
  // cannot honour is an error there (exit 2, file:line:col), not only on deploy.
  if (options.validate)
    throwIfErrors([...loaded.problems.filter((d) => d.severity === 'error'), ...swarmWarnings(loaded)]);
  writeDiagnostics(ctx, swarmWarnings(loaded), ctx.cwd);
}

/** The stack of a command that runs on either target, loaded once (see loadForTarget). */
export type TargetedLoad =
  { readonly target: 'local'; readonly model: StackModel } | { readonly target: 'swarm'; readonly loaded?: SwarmLoad };

/**
 * The target of a command that loads the stack (plan, up, config) and the one load it needs.
 * `--target` or STACK_TARGET decide without the file: the swarm target loads its own kind
 * later, while the manager answers. Else the file's `x-stack` decides: a valid cached swarm
 * load whose model selects swarm answers at once, without the local model (one cache lookup,
 * as with the flag); otherwise the local model is loaded and, when it selects swarm, the swarm
 * load follows (cached, so the next run takes the first way).
 */
export async function loadForTarget(ctx: CliContext, services: readonly string[]): Promise<TargetedLoad> {
  const { loadProject } = await import('./session.js');
  if (ctx.globals.target === undefined && ctx.env['STACK_TARGET'] === undefined) {
    const cached = await ctx.peekCached<SwarmLoad>('swarm');
    if (cached && swarmTarget(ctx, cached.model)) return { target: 'swarm', loaded: cached };
  } else if (swarmTarget(ctx)) return { target: 'swarm' };
  const model = await loadProject(ctx, services);
  return swarmTarget(ctx, model) ? { target: 'swarm' } : { target: 'local', model };
}

/**
 * The client of the manager and the stack loaded for the swarm target, through the model cache
 * (a no-op `up` skips the load, as on the local target), unless loadForTarget found it already.
 * The load runs while the manager answers the connection's reads; a refused connection is
 * reported first, as before.
 */
async function connectAndLoad(ctx: CliContext, found?: SwarmLoad) {
  const { loadForSwarm } = await import('../../targets/swarm/commands.js');
  const client = connect(ctx);
  client.catch(() => undefined); // awaited below, after the load was started
  const loaded = found ? Promise.resolve(found) : ctx.loadCached('swarm', loadForSwarm);
  loaded.catch(() => undefined);
  return { client: await client, loaded: await loaded };
}

/** The lock file as `up` uses it (`--no-lock`: ignored); drift is a warning naming the lock file. */
function lockOptions(ctx: CliContext, lock: boolean | undefined) {
  return {
    signal: ctx.signal,
    env: ctx.env,
    cwd: ctx.cwd,
    onWarning: (message: string) => writeMessage(ctx, 'warning', message),
    ...(lock === false ? { lockFile: false } : {}),
  };
}

async function connect(ctx: CliContext) {
  const { connectSwarm } = await import('../../targets/swarm/commands.js');
  return connectSwarm(ctx.env, ctx.signal);
}

/**
 * The hooks of a swarm run of the reconcile loop: the same progress renderers as the local
 * target (with swarm words), notes once each, `--dry-run` printing the plan, `--parallel`.
 */
async function swarmHooks(ctx: CliContext, project: string): Promise<Partial<SwarmHooks>> {
  const { createActionProgress } = await import('../../render/progress.js');
  const { describeSwarmAction, renderSwarmPlan } = await import('../../targets/swarm/plan.js');
  const printed = new Set<string>();
  return {
    signal: ctx.signal,
    progress: () => createActionProgress(ctx, describeSwarmAction),
    onWarning: (message) => writeMessage(ctx, 'warning', message),
    onNotice: (message) => writeMessage(ctx, 'notice', message),
    onPlan: (plan) => {
      if (ctx.globals.dryRun) ctx.stdout.write(renderSwarmPlan({ project, objectIds: {}, ...plan }));
      for (const note of plan.notes.filter((n) => !printed.has(n))) {
        printed.add(note);
        writeMessage(ctx, 'note', note);
      }
    },
    ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
    ...(ctx.globals.dryRun ? { dryRun: true } : {}),
  };
}

/**
 * A rollout whose tasks a node rejected for want of the image: the node could not pull it.
 * Without `--with-registry-auth` the nodes have no credentials for a private registry: say so.
 */
function withPullHint(error: unknown): unknown {
  if (!(error instanceof StackError) || error.code !== 'APPLY_FAILED' || !/No such image/.test(error.message))
    return error;
  const hint =
    'a node could not pull the image: if its registry needs a login, run `up --with-registry-auth` ' +
    'to send your credentials (docker login) to the nodes';
  return new StackError(error.code, error.message, {
    diagnostics: [diagnostic(error.code, error.message, undefined, hint)],
    cause: error,
  });
}

/** `up -d [--wait] [--build|--no-build] [--remove-orphans] [--with-registry-auth]` on Swarm. */
export async function swarmUp(
  ctx: CliContext,
  services: readonly string[],
  flags: {
    detach?: boolean;
    wait?: boolean;
    waitTimeout?: number;
    build?: boolean;
    removeOrphans?: boolean;
    lock?: boolean;
    withRegistryAuth?: boolean;
  },
  found?: SwarmLoad,
): Promise<CommandResult> {
  if (services.length > 0)
    throw new StackError('USAGE', 'up on the swarm target deploys the whole stack: name no services');
  if (!flags.detach && !flags.wait)
    throw new StackError('USAGE', 'the swarm target runs detached: use `up -d` (and --wait to follow the rollout)');
  const { prepareSwarm } = await import('../../targets/swarm/commands.js');
  const { upSwarm } = await import('../../targets/swarm/loop.js');
  const { client, loaded } = await connectAndLoad(ctx, found);
  const prepared = await prepareSwarm(client, loaded, {
    ...lockOptions(ctx, flags.lock),
    ...(flags.build !== undefined ? { build: flags.build } : {}),
    ...(flags.withRegistryAuth ? { withRegistryAuth: true } : {}),
    onPushed: (image, digest) => writeMessage(ctx, 'notice', `pushed ${image}${digest ? `@${digest}` : ''}`),
  });
  writeDiagnostics(ctx, prepared.warnings, ctx.cwd);
  const { renderSwarmProgress } = await import('../../targets/swarm/wait.js');
  let lastProgress = '';
  const { writes } = await upSwarm(client, prepared, {
    ...(await swarmHooks(ctx, prepared.desired.project)),
    // --wait: per-service replica counts, one line each time they change.
    onProgress: (progress: readonly ServiceProgress[]) => {
      const line = renderSwarmProgress(progress);
      if (line === lastProgress || ctx.progress === 'quiet') return;
      lastProgress = line;
      if (ctx.progress === 'json') ctx.stderr.write(jsonEvent('rollout', { services: progress }));
      else ctx.stderr.write(` ⧗ ${line}\n`);
    },
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
    ...(flags.wait ? { wait: true } : {}),
    ...(flags.waitTimeout !== undefined ? { waitTimeoutMs: flags.waitTimeout * 1000 } : {}),
  }).catch((error: unknown) => {
    throw flags.withRegistryAuth ? error : withPullHint(error);
  });
  if (writes === 0 && !ctx.globals.dryRun)
    writeMessage(ctx, 'notice', `${prepared.desired.project}: up to date, nothing written`);
  return ExitCode.ok;
}

/** `up --with-registry-auth` / `plan --with-registry-auth` on the local target: a usage error. */
export function registryAuthIsSwarmOnly(): StackError {
  return new StackError(
    'USAGE',
    '--with-registry-auth applies to the swarm target (the local target pulls with your credentials already)',
  );
}

/**
 * `plan [--json] [--detailed-exitcode] [--down] [--with-registry-auth]` on Swarm: nothing is
 * written (no build, no push). `--with-registry-auth` plans what `up --with-registry-auth`
 * would do: the services whose registry-auth label it would change are updates.
 */
export async function swarmPlan(
  ctx: CliContext,
  services: readonly string[],
  flags: {
    json?: boolean;
    detailedExitcode?: boolean;
    down?: boolean;
    removeOrphans?: boolean;
    lock?: boolean;
    withRegistryAuth?: boolean;
  },
  found?: SwarmLoad,
): Promise<CommandResult> {
  if (services.length > 0)
    throw new StackError(
      'USAGE',
      `plan on the swarm target plans the whole stack (as ${flags.down ? 'down' : 'up'} does): name no services`,
    );
  const { prepareSwarm } = await import('../../targets/swarm/commands.js');
  const { planSwarm } = await import('../../targets/swarm/loop.js');
  const { renderSwarmPlan } = await import('../../targets/swarm/plan.js');
  const { client, loaded } = await connectAndLoad(ctx, found);
  const prepared = await prepareSwarm(client, loaded, {
    build: false,
    ...lockOptions(ctx, flags.lock),
    ...(flags.withRegistryAuth ? { withRegistryAuth: true } : {}),
  });
  writeDiagnostics(ctx, prepared.warnings, ctx.cwd);
  const { plan } = await planSwarm(client, flags.down ? { project: prepared.desired.project } : prepared, {
    signal: ctx.signal,
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
  });
  if (!flags.json) for (const note of plan.notes) writeMessage(ctx, 'note', note);
  const text = flags.json
    ? JSON.stringify(plan, (key, value: unknown) => (key === 'data' || key === 'objectIds' ? undefined : value), 2) +
      '\n'
    : renderSwarmPlan(plan);
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return flags.detailedExitcode && plan.actions.length > 0 ? 2 : ExitCode.ok;
}

/** The project a command acts on without preparing the stack: the loaded model's name, or `-p`. */
function projectOf(model: StackModel | { project: string }): string {
  return 'services' in model ? model.name : model.project;
}

/**
 * `down` on Swarm: services, then secrets, configs and networks (volumes stay on the nodes).
 * Named services are refused (USAGE) rather than ignored: a `down web` that removed the whole
 * stack would remove what was not asked for.
 */
export async function swarmDown(
  ctx: CliContext,
  project: StackModel | { project: string },
  services: readonly string[],
): Promise<CommandResult> {
  if (services.length > 0)
    throw new StackError(
      'USAGE',
      'down on the swarm target removes the whole stack: name no services ' +
        `(\`docker service rm ${projectOf(project)}_<service>\` removes one)`,
    );
  const { downSwarm } = await import('../../targets/swarm/loop.js');
  const client = await connect(ctx);
  const name = projectOf(project);
  const { writes } = await downSwarm(client, name, await swarmHooks(ctx, name));
  if (writes === 0 && !ctx.globals.dryRun) writeMessage(ctx, 'notice', 'nothing to remove');
  return ExitCode.ok;
}

/**
 * `ps` on Swarm: the stack's tasks (of the named services), with the local flags' meanings for
 * tasks, as `docker stack ps`: `-q` task IDs (12 characters unless `--no-trunc`), `--status` /
 * `--filter status=` a task's current state, `--services` the service names, `--no-orphans`
 * the services of the file, `--format` table, json or a template over the task's fields.
 */
export async function swarmPs(
  ctx: CliContext,
  project: StackModel | { project: string },
  services: readonly string[],
  flags: PsFlags,
): Promise<CommandResult> {
  const { TASK_STATES, psSwarm, renderSwarmPs } = await import('../../targets/swarm/commands.js');
  const states = statusFilter(flags, TASK_STATES);
  const name = projectOf(project);
  const declared = 'services' in project && flags.orphans === false ? Object.keys(project.services) : undefined;
  const chosen = declared ? (services.length > 0 ? services.filter((s) => declared.includes(s)) : declared) : services;
  if (declared && chosen.length === 0) return ExitCode.ok;
  const rows = await psSwarm(await connect(ctx), name, {
    signal: ctx.signal,
    ...(flags.all ? { all: true } : {}),
    ...(chosen.length > 0 ? { services: chosen } : {}),
    ...(states.length > 0 ? { states } : {}),
  });
  const trunc = flags.trunc !== false;
  const format = flags.format ?? 'table';
  if (flags.quiet) ctx.stdout.write(rows.map((r) => (trunc ? r.id.slice(0, 12) : r.id) + '\n').join(''));
  else if (flags.services)
    ctx.stdout.write([...new Set(rows.map((r) => r.service.slice(name.length + 1)))].map((s) => s + '\n').join(''));
  else if (format === 'json') ctx.stdout.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
  else if (format === 'table') ctx.stdout.write(renderSwarmPs(rows));
  else {
    const fields = (r: (typeof rows)[number]) => ({
      ID: trunc ? r.id.slice(0, 12) : r.id,
      Name: r.task,
      Service: r.service,
      Image: r.image,
      Node: r.node,
      DesiredState: r.desiredState,
      CurrentState: r.currentState,
      Error: r.error,
      Ports: r.ports,
    });
    ctx.stdout.write(
      renderTemplate(
        format,
        rows.map((r) => ({ fields: fields(r), labels: {} })),
        TASK_HEADERS,
      ),
    );
  }
  return ExitCode.ok;
}

/** Column headers of a `ps --format 'table …'` on Swarm, as `docker stack ps` names them. */
const TASK_HEADERS: Readonly<Record<string, string>> = {
  ID: 'ID',
  Name: 'NAME',
  Service: 'SERVICE',
  Image: 'IMAGE',
  Node: 'NODE',
  DesiredState: 'DESIRED STATE',
  CurrentState: 'CURRENT STATE',
  Error: 'ERROR',
  Ports: 'PORTS',
};

/**
 * `logs [-f] [--tail N] [-t] [--since T] [--no-log-prefix] [services...]` on Swarm: every
 * task's output, prefixed by its service. `--until` and `--index` are refused (USAGE): Swarm's
 * service logs have no end time and no replica selection, and a flag silently ignored would
 * print what was not asked for.
 */
export async function swarmLogs(
  ctx: CliContext,
  project: StackModel | { project: string },
  services: readonly string[],
  flags: {
    follow?: boolean;
    tail?: string;
    timestamps?: boolean;
    since?: number;
    until?: number;
    index?: number;
    logPrefix?: boolean;
  },
): Promise<CommandResult> {
  const { logsSwarm } = await import('../../targets/swarm/commands.js');
  if (flags.until !== undefined || flags.index !== undefined)
    throw new StackError(
      'USAGE',
      `${flags.until !== undefined ? '--until' : '--index'} is not available on the swarm target ` +
        "(Swarm's service logs have no end time and no replica selection)",
    );
  const tail = flags.tail === undefined || flags.tail === 'all' ? 'all' : Number(flags.tail);
  if (tail !== 'all' && (!Number.isInteger(tail) || tail < 0))
    throw new StackError('USAGE', `--tail expects a number or "all", got "${flags.tail}"`);
  const name = projectOf(project);
  const width = Math.max(0, ...services.map((s) => s.length));
  for await (const line of logsSwarm(await connect(ctx), name, {
    signal: ctx.signal,
    tail,
    ...(services.length > 0 ? { services } : {}),
    ...(flags.follow ? { follow: true } : {}),
    ...(flags.timestamps ? { timestamps: true } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
  })) {
    const text = line.data.toString('utf8');
    const prefix = flags.logPrefix === false ? '' : `${line.service.padEnd(width)}  | `;
    for (const row of text.split('\n').filter((r, i, all) => r !== '' || i < all.length - 1))
      (line.stream === 'stderr' ? ctx.stderr : ctx.stdout).write(`${prefix}${row}\n`);
  }
  return ExitCode.ok;
}

/**
 * `ls` on Swarm: the stacks on the cluster (stack's and `docker stack deploy`'s). `-q` and
 * `--filter name=` as locally; `-a` changes nothing: a stack is listed while it has services,
 * whatever its tasks' states (as `docker stack ls`).
 */
export async function swarmLs(ctx: CliContext, flags: LsFlags): Promise<CommandResult> {
  const { lsSwarm } = await import('../../targets/swarm/commands.js');
  const matches = nameFilters(flags.filter ?? []);
  const stacks = (await lsSwarm(await connect(ctx), ctx.signal)).filter((s) => !matches || matches(s.name));
  if (flags.quiet) ctx.stdout.write(stacks.map((s) => s.name + '\n').join(''));
  else if (flags.format === 'json')
    ctx.stdout.write(JSON.stringify(stacks.map((s) => ({ Name: s.name, Services: s.services }))) + '\n');
  else
    ctx.stdout.write(
      formatTable(
        ['NAME', 'SERVICES'],
        stacks.map((s) => [s.name, String(s.services)]),
      ),
    );
  return ExitCode.ok;
}

/**
 * `config [services...]` on Swarm: the service specs as they would be sent (no secret data;
 * nothing written), for the caller to print in the chosen format.
 */
export async function swarmConfig(
  ctx: CliContext,
  services: readonly string[],
  found?: SwarmLoad,
): Promise<Record<string, unknown>> {
  const { configSwarmView, prepareSwarm } = await import('../../targets/swarm/commands.js');
  const { client, loaded } = await connectAndLoad(ctx, found);
  const unknown = services.filter((s) => !(s in loaded.model.services));
  if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')}`);
  const prepared = await prepareSwarm(client, loaded, {
    build: false,
    observe: false,
    signal: ctx.signal,
    env: ctx.env,
  });
  writeDiagnostics(ctx, prepared.warnings, ctx.cwd);
  return configSwarmView(prepared.desired, services.length > 0 ? services : undefined);
}
