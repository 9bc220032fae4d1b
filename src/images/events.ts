/**
 * Progress of image work as plain data, for the renderers in src/images/render-progress.ts
 * (and any library user): builds report their output line by line, pulls their per-layer
 * byte counts.
 */
import type { BuildLine } from './build-stream.js';
import type { PullSummary } from './pull-stream.js';

/** One thing that happened while building or pulling. */
export type ImageEvent =
  | { readonly type: 'build-start'; readonly image: string; readonly services: readonly string[] }
  | { readonly type: 'build-line'; readonly image: string; readonly line: BuildLine }
  | { readonly type: 'build-done'; readonly image: string; readonly imageId: string; readonly tags: readonly string[] }
  | { readonly type: 'pull-start'; readonly image: string; readonly services: readonly string[] }
  | { readonly type: 'pull-progress'; readonly image: string; readonly summary: PullSummary }
  | { readonly type: 'pull-done'; readonly image: string; readonly updated: boolean; readonly digest?: string }
  | { readonly type: 'pull-failed'; readonly image: string; readonly message: string; readonly fatal: boolean }
  | { readonly type: 'warning'; readonly message: string };

/** Receives image events; must not throw. */
export type ImageEventSink = (event: ImageEvent) => void;

/** Runs `fn` over `items` with at most `limit` at a time; rejects with the first error after all settle. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}
