/**
 * `--progress json`: one JSON object per line on stderr, each with the schema version `v` and
 * a `type` (docs/progress-json.md lists every type and field). The version changes only when a
 * field changes meaning or goes away; new types and fields may appear within a version.
 */
import type { Writable } from 'node:stream';

/** The version of the event schema. */
export const JSON_EVENTS_VERSION = 1;

/** One event line: `{"v":1,"type":...,...fields}`. */
export function jsonEvent(type: string, fields: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ v: JSON_EVENTS_VERSION, type, ...fields }) + '\n';
}

/** Writes one event line. */
export function writeJsonEvent(out: Writable, type: string, fields: Readonly<Record<string, unknown>> = {}): void {
  out.write(jsonEvent(type, fields));
}
