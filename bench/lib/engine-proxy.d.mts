// Types for engine-proxy.mjs (used by the TypeScript tests under test/).

export type RequestKind = 'read' | 'write';

/** One request seen by the proxy. */
export interface RequestRecord {
  /** 1-based, over all requests since the last reset(). */
  index: number;
  method: string;
  /** URL path and query as sent, with the API version prefix. */
  path: string;
  /** Normalized: `POST /containers/{id}/start`. */
  route: string;
  kind: RequestKind;
  /** 1-based index among writes (writes only). */
  writeIndex: number | undefined;
  /** A hijacked (attach/exec) connection. */
  upgrade: boolean;
  /** ms since the proxy started. */
  startedAt: number;
  status: number | undefined;
  durationMs: number | undefined;
  fault: string | undefined;
}

/** A fault rule: matching fields are ANDed; it fires on its nth match, `times` times. */
export interface Fault {
  method?: string;
  kind?: RequestKind;
  route?: string | RegExp;
  path?: RegExp;
  writeIndex?: number;
  nth?: number;
  times?: number;
  action: 'before' | 'after' | 'error' | 'reset' | 'stall';
  run?: (info: RequestRecord) => void | Promise<void>;
  deliver?: boolean;
  status?: number;
  message?: string;
  ms?: number;
  phase?: 'before' | 'after';
}

export interface EngineProxyOptions {
  /** Engine socket, default /var/run/docker.sock. */
  target?: string;
  socketPath: string;
  onRequest?: (info: RequestRecord) => void;
  faults?: Fault[];
}

export interface EngineCounts {
  reads: number;
  writes: number;
  byRoute: Record<string, number>;
}

export interface EngineProxy {
  socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST. */
  dockerHost: string;
  counts: EngineCounts;
  requests: RequestRecord[];
  reset(): void;
  setFaults(faults: Fault[]): void;
  close(): Promise<void>;
}

export function normalizeRoute(method: string, rawPath: string): string;
export function startEngineProxy(options: EngineProxyOptions): Promise<EngineProxy>;
