/**
 * Reading the engine's pull (and push) NDJSON: per-layer status with byte counts, the final
 * digest and whether anything new was downloaded. A failed pull is reported in-band
 * (`error`/`errorDetail`) under HTTP 200: `PullProgressState.error` holds it and the caller
 * turns it into PULL_FAILED or IMAGE_NOT_FOUND.
 */
import type { NdjsonItem } from '../engine/streams.js';

/** One layer of a pull. */
export interface LayerProgress {
  readonly id: string;
  status: string;
  current: number;
  total: number;
  done: boolean;
}

/** A summary of a pull in progress, for the renderer. */
export interface PullSummary {
  readonly layers: number;
  readonly layersDone: number;
  /** Bytes downloaded so far and the sum of the known layer sizes. */
  readonly current: number;
  readonly total: number;
  /** Last status text (`Downloading`, `Status: Downloaded newer image for x`). */
  readonly status: string;
}

const LAYER_STATUSES = new Set([
  'Pulling fs layer',
  'Waiting',
  'Downloading',
  'Verifying Checksum',
  'Download complete',
  'Extracting',
  'Pull complete',
  'Already exists',
  'Retrying',
  'Preparing',
  'Pushing',
  'Pushed',
  'Layer already exists',
  'Mounted from',
]);
const LAYER_DONE = new Set(['Pull complete', 'Already exists', 'Pushed', 'Layer already exists']);

/** Accumulates pull messages. */
export class PullProgressState {
  readonly layers = new Map<string, LayerProgress>();
  digest: string | undefined;
  /** True once the engine said it downloaded a newer image. */
  updated = false;
  error: string | undefined;
  status = '';

  /** Feeds one item; returns true when something worth redrawing changed. */
  push(item: NdjsonItem): boolean {
    if (!item.ok) return false;
    const m = item.value as {
      status?: unknown;
      id?: unknown;
      progressDetail?: { current?: unknown; total?: unknown };
      error?: unknown;
      errorDetail?: { message?: unknown };
      aux?: { Digest?: unknown };
    };
    if (m === null || typeof m !== 'object') return false;
    const error =
      typeof m.errorDetail?.message === 'string'
        ? m.errorDetail.message
        : typeof m.error === 'string'
          ? m.error
          : undefined;
    if (error !== undefined) {
      this.error = error;
      return true;
    }
    if (m.aux && typeof m.aux.Digest === 'string') this.digest = m.aux.Digest;
    if (typeof m.status !== 'string') return false;
    const status = m.status;
    const digest = /^Digest: (sha256:[0-9a-f]{64})/.exec(status);
    if (digest) this.digest = digest[1];
    if (status.startsWith('Status: Downloaded newer image')) this.updated = true;
    const id = typeof m.id === 'string' ? m.id : undefined;
    const base = status.replace(/ \d+s$/, '').replace(/^Mounted from .*/, 'Mounted from');
    if (id !== undefined && LAYER_STATUSES.has(base)) {
      const layer = this.layers.get(id) ?? { id, status, current: 0, total: 0, done: false };
      layer.status = status;
      const current = m.progressDetail?.current;
      const total = m.progressDetail?.total;
      if (typeof total === 'number' && total > 0) layer.total = total;
      if (base === 'Downloading' || base === 'Pushing') {
        if (typeof current === 'number') layer.current = current;
      }
      if (base === 'Download complete' || base === 'Verifying Checksum' || base === 'Extracting')
        layer.current = Math.max(layer.current, layer.total);
      if (LAYER_DONE.has(base)) {
        layer.done = true;
        layer.current = Math.max(layer.current, layer.total);
      }
      this.layers.set(id, layer);
    } else {
      this.status = status;
    }
    return true;
  }

  /** Totals over all layers. */
  summary(): PullSummary {
    let current = 0;
    let total = 0;
    let done = 0;
    for (const layer of this.layers.values()) {
      current += layer.current;
      total += layer.total;
      if (layer.done) done += 1;
    }
    return { layers: this.layers.size, layersDone: done, current, total, status: this.status };
  }
}

/** `12.3 MB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * Whether an in-band pull error means "no such image or tag". The stream carries no status
 * code, so this is the one place we read the engine's text: registries answer
 * `manifest unknown` / `not found` for a missing tag or repository.
 */
export function isNotFoundMessage(message: string): boolean {
  return /manifest unknown|not found|no such image|repository does not exist|name unknown/i.test(message);
}
