/**
 * Reading the legacy builder's NDJSON output: `{"stream": "Step 2/4 : RUN make\n"}` text,
 * `{"aux": {"ID": "sha256:..."}}` with the image ID, `{"status": ...}` while a base image is
 * pulled, and `{"errorDetail": {...}, "error": "..."}` when the build fails (the HTTP status
 * is still 200). The raw bytes go through our own line splitter (src/reconciler/streams.ts):
 * chunks split mid-object and a non-JSON line is kept as output, never thrown.
 */
import { StackError } from '../errors.js';
import type { NdjsonItem } from '../engine/streams.js';

/** One Dockerfile step and the output it printed. */
export interface BuildStep {
  /** 1-based; 0 for output before the first step. */
  readonly index: number;
  readonly total?: number;
  /** `RUN make`, as the builder echoed it. */
  readonly instruction: string;
  readonly output: string[];
}

/** A line of build output for the renderer. */
export interface BuildLine {
  readonly kind: 'step' | 'output' | 'status';
  readonly text: string;
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const MAX_STEP_LINES = 200;

/** Accumulates a build's output: its steps, the image ID, the in-band error. */
export class BuildOutput {
  readonly steps: BuildStep[] = [{ index: 0, instruction: '', output: [] }];
  imageId: string | undefined;
  error: string | undefined;
  private partial = '';

  /** Feeds one NDJSON item; returns the complete lines to show. */
  push(item: NdjsonItem): BuildLine[] {
    if (!item.ok) return this.text(`${item.line}\n`);
    const message = item.value as {
      stream?: unknown;
      aux?: { ID?: unknown };
      status?: unknown;
      id?: unknown;
      error?: unknown;
      errorDetail?: { message?: unknown };
    };
    if (message === null || typeof message !== 'object') return [];
    const lines: BuildLine[] = [];
    if (typeof message.stream === 'string') lines.push(...this.text(message.stream));
    if (message.aux && typeof message.aux.ID === 'string') this.imageId = message.aux.ID;
    if (typeof message.status === 'string')
      lines.push({
        kind: 'status',
        text: typeof message.id === 'string' ? `${message.id}: ${message.status}` : message.status,
      });
    const error =
      typeof message.errorDetail?.message === 'string'
        ? message.errorDetail.message
        : typeof message.error === 'string'
          ? message.error
          : undefined;
    if (error !== undefined) {
      lines.push(...this.flush());
      this.error = error;
    }
    return lines;
  }

  /** Lines still buffered when the stream ends without a newline. */
  flush(): BuildLine[] {
    if (this.partial === '') return [];
    const rest = this.partial;
    this.partial = '';
    return [this.line(rest)];
  }

  /** The step that was running last (the failing one when `error` is set). */
  get currentStep(): BuildStep {
    return this.steps[this.steps.length - 1]!;
  }

  private text(chunk: string): BuildLine[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    return parts.map((line) => this.line(line.replace(/\r$/, '')));
  }

  private line(text: string): BuildLine {
    const step = STEP.exec(text);
    if (step) {
      this.steps.push({ index: Number(step[1]), total: Number(step[2]), instruction: step[3] ?? '', output: [] });
      return { kind: 'step', text };
    }
    const success = /^Successfully built ([0-9a-f]{12,64})$/.exec(text);
    if (success && this.imageId === undefined) this.imageId = success[1];
    const output = this.currentStep.output;
    if (output.length >= MAX_STEP_LINES) output.shift();
    output.push(text);
    return { kind: 'output', text };
  }
}

/** BUILD_FAILED naming the image, the failing step and the step's last lines of output. */
export function buildFailedError(image: string, build: BuildOutput, tail = 30): StackError {
  const step = build.currentStep;
  const where = step.index > 0 ? ` at step ${step.index}/${step.total ?? '?'} (${step.instruction})` : '';
  const message = `building ${image} failed${where}: ${build.error ?? 'no image was produced'}`;
  const output = step.output
    .filter((l) => !/^ ---> /.test(l) && !/^Removing intermediate container /.test(l))
    .slice(-tail);
  // No error diagnostics: those would make the CLI treat this as invalid input (exit 2).
  const shown =
    output.length > 0
      ? `${message}\noutput of the failing step:\n${output.map((l) => `    ${l}`).join('\n')}`
      : message;
  return new StackError('BUILD_FAILED', shown);
}
