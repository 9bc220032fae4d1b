/**
 * listr2 progress on a TTY: one task per action, all concurrent, each settled by the
 * executor's events (the executor, not listr2, runs the actions). listr2's own SIGINT handler
 * calls process.exit: it is turned off, the frame owns Ctrl-C.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { ActionEvent, ActionLike } from '../pipeline/reconcile.js';
import type { Terminal } from './terminal.js';
import type { ActionWords, Progress } from './progress.js';
import { inertText } from '../errors.js';

interface Deferred {
  resolve(): void;
  reject(error: Error): void;
  skip(): void;
  title(text: string): void;
}

/** The listr2 renderer for a plan; output goes to stderr. */
export function ttyProgress<A extends ActionLike>(ctx: Terminal, words: ActionWords<A>): Progress<A> {
  const subjectOf = (action: A): string => words.subject(action);
  const verbOf = (action: A, done: boolean): string => words.verb(action, done);
  const deferred = new Map<number, Deferred>();
  const early = new Map<number, ActionEvent<A>[]>();
  let running: Promise<unknown> | undefined;

  const apply = (d: Deferred, event: ActionEvent<A>): void => {
    const subject = subjectOf(event.action);
    if (event.type === 'action-start') d.title(`${subject}  ${verbOf(event.action, false)}`);
    else if (event.type === 'action-done') {
      d.title(`${subject}  ${verbOf(event.action, true)}  ${(event.ms / 1000).toFixed(1)}s`);
      d.resolve();
    } else if (event.type === 'action-failed')
      d.reject(new Error(`${subject}  ${inertText(event.error?.message.split('\n')[0] ?? 'failed')}`));
    else d.skip();
  };

  return {
    begin(actions: readonly A[]) {
      const stderr = ctx.stderr as NodeJS.WriteStream;
      // Progress is not the command's output: it goes to stderr, like Compose.
      const output = new ProcessOutput(stderr, stderr);
      const list = new Listr(
        actions.map((action) => ({
          title: `${subjectOf(action)}  Waiting`,
          task: (_: unknown, task: { title: string; skip(message?: string): void }) =>
            new Promise<void>((resolve, reject) => {
              const d: Deferred = {
                resolve,
                reject,
                skip: () => {
                  task.skip(`${subjectOf(action)}  Skipped`);
                  resolve();
                },
                title: (text) => {
                  task.title = text;
                },
              };
              deferred.set(action.id, d);
              for (const event of early.get(action.id) ?? []) apply(d, event);
              early.delete(action.id);
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
      const d = deferred.get(event.action.id);
      if (d) apply(d, event);
      else early.set(event.action.id, [...(early.get(event.action.id) ?? []), event]);
    },
    async end() {
      await running;
    },
  };
}
