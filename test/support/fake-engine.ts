/**
 * An in-memory Engine for executor tests: records every call in order, lets a test make a
 * call fail or hang, and counts concurrent calls.
 */
import type { Engine } from '../../src/engine/types.js';
import { EngineCallError } from '../../src/engine/errors.js';

export interface FakeCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface FakeEngine extends Engine {
  readonly calls: FakeCall[];
  /** Highest number of calls in flight at once. */
  readonly maxInFlight: number;
  failOn(method: string, target: string, status: number, message: string): void;
  delay(ms: number): void;
}

export function fakeEngine(): FakeEngine {
  const calls: FakeCall[] = [];
  const failures = new Map<string, { status: number; message: string }>();
  let inFlight = 0;
  let maxInFlight = 0;
  let delayMs = 5;
  const call = async <T>(method: string, args: unknown[], result: T): Promise<T> => {
    calls.push({ method, args });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, delayMs));
      const failure = failures.get(`${method}:${String(args[0])}`);
      if (failure) throw new EngineCallError(failure.status, `${method} ${String(args[0])}`, failure.message);
      return result;
    } finally {
      inFlight -= 1;
    }
  };
  const notUsed = (): never => {
    throw new Error('not used in this test');
  };
  return {
    endpoint: 'fake://',
    apiVersion: '1.41',
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    failOn(method, target, status, message) {
      failures.set(`${method}:${target}`, { status, message });
    },
    delay(ms) {
      delayMs = ms;
    },
    listContainers: () => call('listContainers', [], []),
    inspectContainer: notUsed,
    inspectImageConfig: notUsed,
    listNetworks: () => call('listNetworks', [], []),
    listVolumes: () => call('listVolumes', [], []),
    listImages: () => call('listImages', [], []),
    createContainer: (name) => call('createContainer', [name], `id-${name}`),
    startContainer: (id) => call('startContainer', [id], undefined),
    stopContainer: (id) => call('stopContainer', [id], undefined),
    restartContainer: (id) => call('restartContainer', [id], undefined),
    removeContainer: (id) => call('removeContainer', [id], undefined),
    renameContainer: (id, name) => call('renameContainer', [id, name], undefined),
    killContainer: (id, signal) => call('killContainer', [id, signal], undefined),
    pauseContainer: (id) => call('pauseContainer', [id], undefined),
    unpauseContainer: (id) => call('unpauseContainer', [id], undefined),
    topContainer: (id) => call('topContainer', [id], { Titles: [], Processes: [] }),
    containerStats: (id) => call('containerStats', [id], {}),
    createNetwork: (name) => call('createNetwork', [name], `net-${name}`),
    removeNetwork: (id) => call('removeNetwork', [id], undefined),
    connectNetwork: (network, container) => call('connectNetwork', [network, container], undefined),
    disconnectNetwork: (network, container) => call('disconnectNetwork', [network, container], undefined),
    createVolume: (name) => call('createVolume', [name], { Name: name, Driver: 'local', Labels: null }),
    removeVolume: (name) => call('removeVolume', [name], undefined),
    inspectImage: notUsed,
    buildImage: notUsed,
    pullImageStream: notUsed,
    pushImage: notUsed,
    tagImage: notUsed,
    removeImage: notUsed,
    inspectDistribution: notUsed,
    putArchive: notUsed,
    getArchive: notUsed,
    pullImage: (ref) => call('pullImage', [ref], undefined),
    events: notUsed,
    containerLogs: notUsed,
    createExec: notUsed,
    startExec: notUsed,
    inspectExec: notUsed,
    resizeExec: notUsed,
    attachContainer: notUsed,
    waitContainer: notUsed,
    resizeContainer: notUsed,
  };
}
