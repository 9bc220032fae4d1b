/**
 * listr2 progress on a TTY: one task per line of the plan (progress-lines.ts), all concurrent, each settled by the
 * executor's events (the executor, not listr2, runs the actions). listr2's own SIGINT handler
 * calls process.exit: it is turned off, the frame owns Ctrl-C.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { ActionLike } from '../pipeline/reconcile.js';
import type { Terminal } from './terminal.js';
import { linesOf, type ActionWords, type Progress } from './progress.js';
import { LineTracker, type LineEvent, type ProgressLine } from './progress-lines.js';
import { inertText } from '../errors.js';

interface Deferred {
  resolve(): void;
  reject(error: Error): void;
  skip(): void;
  title(text: string): void;
}

/** The listr2 renderer for a plan; output goes to stderr. */
export function ttyProgress<A extends ActionLike>(ctx: Terminal, words: ActionWords<A>): Progress<A> {
  const deferred = new Map<ProgressLine<A>, Deferred>();
  const early = new Map<ProgressLine<A>, LineEvent<A>[]>();
  let tracker = new LineTracker<A>([]);
  let running: Promise<unknown> | undefined;

  const apply = (d: Deferred, event: LineEvent<A>): void => {
    const { subject } = event.line;
    if (event.type === 'start') d.title(`${subject}  ${event.line.verb(false)}`);
    else if (event.type === 'done') {
      d.title(`${subject}  ${event.line.verb(true)}  ${(event.ms / 1000).toFixed(1)}s`);
      d.resolve();
    } else if (event.type === 'failed')
      d.reject(new Error(`${subject}  ${inertText(event.error?.message.split('\n')[0] ?? 'failed')}`));
    else d.skip();
  };

  return {
    begin(actions: readonly A[]) {
      const stderr = ctx.stderr as NodeJS.WriteStream;
      // Progress is not the command's output: it goes to stderr, like Compose.
      const output = new ProcessOutput(stderr, stderr);
      tracker = new LineTracker(linesOf(words, actions));
      const list = new Listr(
        tracker.lines.map((line) => ({
          // Not started yet: the subject alone (a line says "Waiting for …" only when it waits).
          title: line.subject,
          task: (_: unknown, task: { title: string; skip(message?: string): void }) =>
            new Promise<void>((resolve, reject) => {
              const d: Deferred = {
                resolve,
                reject,
                skip: () => {
                  task.skip(`${line.subject}  Skipped`);
                  resolve();
                },
                title: (text) => {
                  task.title = text;
                },
              };
              deferred.set(line, d);
              for (const event of early.get(line) ?? []) apply(d, event);
              early.delete(line);
            }),
        })),
        {
          concurrent: true,
          exitOnError: false,
          registerSignalListeners: false,
          collectErrors: false,
          rendererOptions: {
            collapseErrors: false,
            showErrorMessage: true,
            logger: new ListrLogger({ useIcons: true, processOutput: output }),
          },
          fallbackRendererOptions: { logger: new ListrLogger({ useIcons: true, processOutput: output }) },
          fallbackRendererCondition: () => !stderr.isTTY,
        },
      );
      running = list.run().catch(() => undefined);
    },
    onEvent(event) {
      const seen = tracker.onEvent(event);
      if (!seen) return;
      const d = deferred.get(seen.line);
      if (d) apply(d, seen);
      else early.set(seen.line, [...(early.get(seen.line) ?? []), seen]);
    },
    async end() {
      await running;
    },
  };
}
