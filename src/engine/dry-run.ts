/**
 * `--dry-run`: an Engine whose reads go to the engine and whose writes go nowhere. Every
 * command that writes runs as usual (its plan, its progress) and changes nothing, as Compose's
 * dry-run client does. A create resolves to a made-up ID; an exec cannot be pretended and is
 * refused.
 */
import { Readable } from 'node:stream';
import { StackError } from '../errors.js';
import type { Engine } from './types.js';

/** The engine under `--dry-run`: reads pass through, writes are skipped. */
export function dryRunEngine(engine: Engine): Engine {
  const skip = async (): Promise<void> => undefined;
  const noStream = async (): Promise<Readable> => Readable.from([]);
  const refuse = (): never => {
    throw new StackError('USAGE', 'exec cannot run under --dry-run');
  };
  return {
    endpoint: engine.endpoint,
    apiVersion: engine.apiVersion,
    listContainers: (q, s) => engine.listContainers(q, s),
    inspectContainer: (id, s) => engine.inspectContainer(id, s),
    inspectImageConfig: (ref, s) => engine.inspectImageConfig(ref, s),
    listNetworks: (f, s) => engine.listNetworks(f, s),
    listVolumes: (f, s) => engine.listVolumes(f, s),
    listImages: (f, s) => engine.listImages(f, s),
    inspectImage: (ref, s) => engine.inspectImage(ref, s),
    inspectDistribution: (ref, o) => engine.inspectDistribution(ref, o),
    getArchive: (c, p, s) => engine.getArchive(c, p, s),
    events: (o) => engine.events(o),
    containerLogs: (id, o) => engine.containerLogs(id, o),
    topContainer: (id, s) => engine.topContainer(id, s),
    containerStats: (id, s) => engine.containerStats(id, s),
    // A wait changes nothing: it only blocks.
    waitContainer: (id, condition, s) => engine.waitContainer(id, condition, s),
    attachContainer: (id, o) => engine.attachContainer(id, o),
    resizeContainer: (id, rows, columns) => engine.resizeContainer(id, rows, columns),
    inspectExec: (id, s) => engine.inspectExec(id, s),
    createContainer: async (name) => `dry-run-${name}`,
    createNetwork: async (name) => `dry-run-${name}`,
    startContainer: skip,
    stopContainer: skip,
    restartContainer: skip,
    removeContainer: skip,
    renameContainer: skip,
    killContainer: skip,
    pauseContainer: skip,
    unpauseContainer: skip,
    removeNetwork: skip,
    connectNetwork: skip,
    disconnectNetwork: skip,
    createVolume: async (name, body) => ({
      Name: name,
      Driver: typeof body['Driver'] === 'string' ? body['Driver'] : 'local',
      Labels: (body['Labels'] as Record<string, string> | undefined) ?? null,
    }),
    removeVolume: skip,
    tagImage: skip,
    removeImage: skip,
    putArchive: skip,
    pullImage: skip,
    buildImage: noStream,
    pullImageStream: noStream,
    pushImage: noStream,
    createExec: async () => refuse(),
    startExec: async () => refuse(),
    resizeExec: skip,
  };
}
