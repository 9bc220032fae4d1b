/**
 * The project lock where every client of the engine sees it (issue 20 item 11): a lease held
 * as a volume named `stack-lock-<project>` on the engine. The local file lock (lock.ts) only
 * serializes runs of one user on one host; this one also serializes a `sudo` and a user run,
 * runs with different `XDG_RUNTIME_DIR`s and CI runners on other hosts sharing the engine.
 *
 * - **Atomic by name.** Creating a volume whose name exists returns the existing volume with
 *   its labels unchanged (the engine's volume store locks per name): creating the lease and
 *   reading it back says who won (`dev.stack.lock.token`).
 * - **Expiry and renewal.** Labels cannot change, so a lease says when it expires and its
 *   holder renews it every third of the lease time by creating a generation volume
 *   `stack-lock-<project>.<token>.<n>` with a later expiry (and removing the previous one).
 *   The lease counts as expired when its own expiry and its generations' have all passed
 *   (holder clocks are compared: keep hosts in NTP sync; the default lease is 60 s).
 * - **Takeover** only after expiry, or at once when the holder ran on this host and its pid
 *   is gone. A taker first claims `stack-lock-<project>.takeover.<stale token>` (atomic as
 *   above); only the winner removes the stale lease, after checking it is still that one.
 * - **Stops a dead holder left in flight.** The engine carries out a stop whose client died
 *   (SIGTERM, the grace period, SIGKILL), so a run killed while stopping containers can stop
 *   them after the next run converged. A lease says how long its holder's stops may take
 *   (`dev.stack.lock.stop-grace`, seconds: the longest grace of a stop in its plan); a run that
 *   takes over a dead holder's lease waits until those stops have landed before it observes
 *   again (`waitForInheritedStops`), when a container of the project is running. The engine
 *   keeps no record of a stop in progress (no container state; its event history is a ring of
 *   256 events that health checks fill in seconds), so the holder's word is the record.
 * - Unlabelled with the project, the lease is never listed or removed with the project's own
 *   volumes. Taken only by runs that write (a no-op `up` makes no write).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Engine, EngineVolume } from '../engine/types.js';
import { StackError } from '../errors.js';
import type { InheritedStops } from './lock.js';
import { STOP_MARGIN_MS } from './lock.js';

const MARK = 'dev.stack.lock';
const TOKEN = 'dev.stack.lock.token';
const HOST = 'dev.stack.lock.host';
const PID = 'dev.stack.lock.pid';
const COMMAND = 'dev.stack.lock.command';
const EXPIRES = 'dev.stack.lock.expires';
const STOP_GRACE = 'dev.stack.lock.stop-grace';

/** Who holds an engine lease. */
export interface LeaseHolder {
  readonly token: string;
  readonly host: string;
  readonly pid: number;
  readonly command: string;
  /** ms since the epoch, renewals included. */
  readonly expires: number;
  /** Seconds the holder's stops may take (the longest grace of a stop in its plan); 0: it stops nothing. */
  readonly stopGrace: number;
}

/** A held lease: `release()` removes it (and its generations); idempotent. */
export interface EngineLease {
  readonly name: string;
  /**
   * Set when this lease was taken over from a holder that died while it may have been stopping
   * containers: the holder, and when (ms since the epoch) the engine has finished its stops.
   */
  readonly inheritedStops?: { readonly holder: LeaseHolder; readonly until: number };
  release(): Promise<void>;
}

export interface LeaseOptions {
  readonly command: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onWait?: (holder: LeaseHolder) => void;
  /** The longest grace period (seconds) of a stop this run may send; recorded in the lease. */
  readonly stopGraceSeconds?: number;
}

/** The lease's volume name. */
export function leaseName(project: string): string {
  return `stack-lock-${project}`;
}

/** `STACK_LOCK_LEASE` seconds, default 60; `0` turns the engine lease off. */
export function leaseMs(env: Readonly<Record<string, string | undefined>>): number {
  const seconds = Number(env['STACK_LOCK_LEASE'] ?? '60');
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 60_000;
}

async function volumesNamed(engine: Engine, prefix: string, signal?: AbortSignal): Promise<EngineVolume[]> {
  // The engine's name filter matches substrings: keep the exact name and its own children.
  return (await engine.listVolumes({ name: [prefix] }, signal)).filter(
    (v) => v.Name === prefix || v.Name.startsWith(`${prefix}.`),
  );
}

function holderOf(volume: EngineVolume): LeaseHolder | undefined {
  const labels = volume.Labels ?? {};
  if (labels[MARK] === undefined || labels[TOKEN] === undefined) return undefined;
  return {
    token: labels[TOKEN],
    host: labels[HOST] ?? '',
    pid: Number(labels[PID] ?? '0'),
    command: labels[COMMAND] ?? '?',
    expires: Number(labels[EXPIRES] ?? '0'),
    stopGrace: Number(labels[STOP_GRACE] ?? '0') || 0,
  };
}

/** The holder named by the lease among `volumes` (its expiry raised by its generations), if any. */
function leaseIn(volumes: readonly EngineVolume[], name: string): { holder: LeaseHolder | undefined; exists: boolean } {
  const lease = volumes.find((v) => v.Name === name);
  if (!lease) return { holder: undefined, exists: false };
  const holder = holderOf(lease);
  if (!holder) return { holder: undefined, exists: true };
  let expires = holder.expires;
  for (const v of volumes) {
    if (!v.Name.startsWith(`${name}.${holder.token}.`)) continue;
    const generation = holderOf(v);
    if (generation?.token === holder.token) expires = Math.max(expires, generation.expires);
  }
  return { holder: { ...holder, expires }, exists: true };
}

/** The current holder (expiry raised by its generations), or undefined when there is no lease. */
async function readLease(
  engine: Engine,
  name: string,
  signal?: AbortSignal,
): Promise<{ holder: LeaseHolder | undefined; exists: boolean }> {
  return leaseIn(await volumesNamed(engine, name, signal), name);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function labels(token: string, command: string, expires: number, kind: string, stopGrace = 0): Record<string, string> {
  return {
    [MARK]: kind,
    [TOKEN]: token,
    [HOST]: hostname(),
    [PID]: String(process.pid),
    [COMMAND]: command,
    [EXPIRES]: String(expires),
    ...(stopGrace > 0 ? { [STOP_GRACE]: String(stopGrace) } : {}),
  };
}

/**
 * When the stops a dead holder may have left with the engine have landed (ms since the epoch),
 * or undefined when it sent none or they have landed already. The holder renews its lease
 * while it lives, so it died (or stopped renewing) by its expiry, and at the latest now: its
 * last stop was sent by then and ends within its grace. Exported for unit tests.
 */
export function inheritedStopsUntil(holder: LeaseHolder, now: number): number | undefined {
  if (holder.stopGrace <= 0) return undefined;
  const until = Math.min(now, holder.expires) + holder.stopGrace * 1000 + STOP_MARGIN_MS;
  return until > now ? until : undefined;
}

/**
 * Waits until the stops a dead holder left in flight have landed (see the header; the local lock
 * records them too), when a container of the project is still running (one list call); told
 * through `onNotice`. INTERRUPTED on abort.
 */
export async function waitForInheritedStops(
  engine: Engine,
  project: string,
  inherited: InheritedStops | undefined,
  options: { readonly signal?: AbortSignal; readonly onNotice?: (message: string) => void },
): Promise<void> {
  if (!inherited) return;
  const left = inherited.until - Date.now();
  if (left <= 0) return;
  const { listProjectContainers } = await import('../engine/observe.js');
  const containers = await listProjectContainers(engine, project, { running: true }, options.signal);
  if (containers.length === 0) return;
  options.onNotice?.(
    `an earlier run (${inherited.holder}) died while it may have been stopping ` +
      `containers; the engine finishes such stops: waiting ${Math.ceil(left / 1000)}s before looking again`,
  );
  try {
    await delay(left, undefined, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    throw new StackError('INTERRUPTED', "interrupted while waiting for an earlier run's stops", { cause: error });
  }
}

/** "pid 123 on host-a (stack up, lease until 10:00:00)" */
export function describeLeaseHolder(holder: LeaseHolder): string {
  return (
    `pid ${holder.pid} on ${holder.host || '?'} (${holder.command}, ` +
    `lease until ${new Date(holder.expires).toISOString()})`
  );
}

async function removeQuietly(engine: Engine, name: string): Promise<void> {
  try {
    await engine.removeVolume(name);
  } catch {
    // gone already, or the engine went away: the lease expires on its own
  }
}

/** Claims the takeover of `stale` and, when won, removes the stale lease; true when removed. */
async function takeOver(
  engine: Engine,
  name: string,
  stale: LeaseHolder,
  me: string,
  command: string,
  ttl: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const claim = `${name}.takeover.${stale.token.slice(0, 12)}`;
  await engine.createVolume(
    claim,
    { Labels: labels(me, command, Date.now() + Math.min(ttl, 30_000), 'takeover') },
    signal,
  );
  const claimed = (await volumesNamed(engine, claim, signal)).find((v) => v.Name === claim);
  const owner = claimed ? holderOf(claimed) : undefined;
  if (owner?.token !== me) {
    // Another taker's claim: if it expired (that taker died), clear it for the next round.
    if (owner && owner.expires < Date.now()) await removeQuietly(engine, claim);
    return false;
  }
  try {
    const now = await readLease(engine, name, signal);
    if (now.holder?.token !== stale.token) return false;
    await engine.removeVolume(name, signal);
    for (const v of await volumesNamed(engine, `${name}.${stale.token}`, signal)) await removeQuietly(engine, v.Name);
    return true;
  } finally {
    await removeQuietly(engine, claim);
  }
}

/**
 * Takes the project's engine lease, waiting for a live holder up to the timeout (LOCK_HELD
 * naming it) and taking over an expired one (or one whose process on this host is gone).
 */
export async function acquireEngineLease(
  engine: Engine,
  project: string,
  options: LeaseOptions,
): Promise<EngineLease | undefined> {
  const ttl = leaseMs(options.env);
  if (ttl === 0) return undefined;
  const name = leaseName(project);
  const me = randomUUID();
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const stopGrace = Math.max(0, Math.ceil(options.stopGraceSeconds ?? 0));
  let told = false;
  let delay = 100;
  let inheritedStops: EngineLease['inheritedStops'];
  for (;;) {
    const created = await engine.createVolume(
      name,
      { Labels: labels(me, options.command, Date.now() + ttl, 'lease', stopGrace) },
      options.signal,
    );
    // The reply is the volume as the engine keeps it: ours when we won, the holder's otherwise.
    if (holderOf(created)?.token === me) break;
    const { holder, exists } = await readLease(engine, name, options.signal);
    if (holder?.token === me) break;
    if (exists && holder === undefined)
      throw new StackError(
        'LOCK_NOT_OURS',
        `volume ${name} exists on the engine but is not a stack lease; remove it if nothing uses it`,
      );
    if (holder) {
      const dead = holder.host === hostname() && !alive(holder.pid);
      if (
        (dead || holder.expires < Date.now()) &&
        (await takeOver(engine, name, holder, me, options.command, ttl, options.signal))
      ) {
        const until = inheritedStopsUntil(holder, Date.now());
        if (until !== undefined && until > (inheritedStops?.until ?? 0)) inheritedStops = { holder, until };
        continue;
      }
      if (!told) {
        told = true;
        options.onWait?.(holder);
      }
    }
    if (options.signal?.aborted) throw new StackError('INTERRUPTED', 'interrupted while waiting for the project lock');
    if (Date.now() >= deadline)
      throw new StackError(
        'LOCK_HELD',
        `project "${project}" is locked on the engine by another stack run: ` +
          `${holder ? describeLeaseHolder(holder) : 'unknown'}; lease volume ${name}`,
      );
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
  // Renewal: a generation with a later expiry every third of the lease, the previous removed.
  let generation = 0;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      const previous = generation > 0 ? `${name}.${me}.${generation}` : undefined;
      generation += 1;
      const next = `${name}.${me}.${generation}`;
      renewing = renewing
        .then(async () => {
          await engine.createVolume(next, {
            Labels: labels(me, options.command, Date.now() + ttl, 'renewal', stopGrace),
          });
          if (previous) await removeQuietly(engine, previous);
        })
        .catch(() => undefined); // an engine hiccup: the next renewal tries again
    },
    Math.max(1000, Math.floor(ttl / 3)),
  );
  timer.unref();
  let released = false;
  return {
    name,
    ...(inheritedStops ? { inheritedStops } : {}),
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      try {
        // One listing shows the lease and this holder's generations.
        const volumes = await volumesNamed(engine, name);
        if (leaseIn(volumes, name).holder?.token === me) await removeQuietly(engine, name);
        for (const v of volumes) if (v.Name.startsWith(`${name}.${me}.`)) await removeQuietly(engine, v.Name);
      } catch {
        // the engine went away: the lease expires on its own
      }
    },
  };
}
