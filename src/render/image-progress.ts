/**
 * Image progress for people and machines: on a TTY one live line per image (layers done,
 * bytes) redrawn in place with build output scrolling above it; plain lines when piped or in
 * CI (one per finished layer, never per byte); NDJSON events with `json`; nothing with `quiet`.
 * Writes only to the stream it is given (the CLI passes stderr).
 */
import type { Writable } from 'node:stream';
import type { ImageEvent } from '../images/events.js';
import { jsonEvent } from './json.js';
import { formatBytes } from '../images/pull-stream.js';
import { inertText } from '../errors.js';

/** Renders image events. */
export interface ImageProgress {
  onEvent(event: ImageEvent): void;
  /** Draws the final state and stops redrawing. */
  end(): void;
}

/** Options of createImageProgress. */
export interface ImageProgressOptions {
  readonly mode: 'tty' | 'plain' | 'json' | 'quiet';
  readonly out: Writable & { columns?: number };
  /** Build output lines on plain/tty (default true; `stack pull -q` has none anyway). */
  readonly showBuildOutput?: boolean;
  /** Milliseconds between TTY redraws (default 100). */
  readonly throttleMs?: number;
  readonly now?: () => number;
}

interface Row {
  text: string;
  done: boolean;
  failed?: boolean;
}

function pullLine(image: string, e: Extract<ImageEvent, { type: 'pull-progress' }>['summary']): string {
  const bytes = e.total > 0 ? ` ${formatBytes(e.current)}/${formatBytes(e.total)}` : '';
  return `Pulling ${image}: ${e.layersDone}/${e.layers} layers${bytes}`;
}

/** A renderer for `mode`. */
export function createImageProgress(options: ImageProgressOptions): ImageProgress {
  const { out, mode } = options;
  const showBuild = options.showBuildOutput !== false;
  if (mode === 'quiet') return { onEvent: () => undefined, end: () => undefined };
  if (mode === 'json')
    return { onEvent: ({ type, ...fields }) => void out.write(jsonEvent(type, fields)), end: () => undefined };
  if (mode === 'plain') {
    const layersDone = new Map<string, number>();
    return {
      onEvent(e) {
        switch (e.type) {
          case 'pull-start':
            out.write(`Pulling ${e.image}\n`);
            break;
          case 'pull-progress':
            if (e.summary.layersDone !== (layersDone.get(e.image) ?? 0) && e.summary.layers > 0) {
              layersDone.set(e.image, e.summary.layersDone);
              out.write(`${pullLine(e.image, e.summary)}\n`);
            }
            break;
          case 'pull-done':
            out.write(`Pulled ${e.image}${e.updated ? '' : ' (up to date)'}${e.digest ? ` ${e.digest}` : ''}\n`);
            break;
          case 'pull-failed':
            out.write(`Pull failed ${e.image}: ${inertText(e.message)}\n`);
            break;
          case 'build-start':
            out.write(`Building ${e.image}\n`);
            break;
          case 'build-line':
            if (showBuild) out.write(`${e.image} | ${e.line.text}\n`);
            break;
          case 'build-done':
            out.write(`Built ${e.image} ${e.imageId.slice(0, 19)}\n`);
            break;
          case 'warning':
            out.write(`warning: ${inertText(e.message)}\n`);
            break;
        }
      },
      end: () => undefined,
    };
  }
  // tty
  const rows = new Map<string, Row>();
  const pending: string[] = [];
  let drawn = 0;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const now = options.now ?? Date.now;
  const throttle = options.throttleMs ?? 100;
  const width = (): number => Math.max(20, (out.columns ?? 100) - 1);
  const draw = (): void => {
    timer = undefined;
    last = now();
    let text = drawn > 0 ? `\u001b[${drawn}A\u001b[J` : '';
    for (const line of pending.splice(0)) text += `${line}\n`;
    const lines = [...rows.values()].map((r) => `${r.failed ? '✖' : r.done ? '✔' : '…'} ${r.text}`.slice(0, width()));
    for (const line of lines) text += `${line}\n`;
    drawn = lines.length;
    out.write(text);
  };
  const schedule = (urgent: boolean): void => {
    if (urgent || now() - last >= throttle) {
      if (timer) clearTimeout(timer);
      draw();
    } else if (!timer) {
      timer = setTimeout(draw, throttle);
      timer.unref?.();
    }
  };
  return {
    onEvent(e) {
      if (ended) return;
      switch (e.type) {
        case 'pull-start':
          rows.set(e.image, { text: `Pulling ${e.image}`, done: false });
          return schedule(true);
        case 'pull-progress':
          rows.set(e.image, { text: pullLine(e.image, e.summary), done: false });
          return schedule(false);
        case 'pull-done':
          rows.set(e.image, { text: `Pulled ${e.image}${e.updated ? '' : ' (up to date)'}`, done: true });
          return schedule(true);
        case 'pull-failed':
          rows.set(e.image, { text: `Pull failed ${e.image}`, done: true, failed: true });
          return schedule(true);
        case 'build-start':
          rows.set(e.image, { text: `Building ${e.image}`, done: false });
          return schedule(true);
        case 'build-line':
          if (e.line.kind === 'step') rows.set(e.image, { text: `Building ${e.image}: ${e.line.text}`, done: false });
          if (showBuild) pending.push(`${e.image} | ${e.line.text}`);
          return schedule(false);
        case 'build-done':
          rows.set(e.image, { text: `Built ${e.image}`, done: true });
          return schedule(true);
        case 'warning':
          pending.push(`warning: ${inertText(e.message)}`);
          return schedule(true);
      }
    },
    end() {
      if (ended) return;
      ended = true;
      if (timer) clearTimeout(timer);
      if (rows.size > 0 || pending.length > 0) draw();
    },
  };
}
