/**
 * Diagnostics and errors as the user sees them: `file:line:col severity[CODE] message`, the
 * source line with a caret and the hint on a terminal; one JSON event each under
 * `--progress json` (docs/progress-json.md).
 */
import { readFileSync } from 'node:fs';
import { formatDiagnostic, inertText } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { StackError } from '../errors.js';
import { jsonEvent } from './json.js';
import type { Terminal } from './terminal.js';

function readSourceSafely(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length < 5_000_000 ? text : undefined;
  } catch {
    return undefined; // unreadable now: printed without the excerpt
  }
}

/** Formats diagnostics with the source excerpt of each file they point into. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], color: boolean, cwd: string): string {
  const sources = new Map<string, string>();
  for (const d of diagnostics) {
    const file = d.location?.file;
    if (!file || sources.has(file)) continue;
    const text = readSourceSafely(file);
    if (text !== undefined) sources.set(file, text);
  }
  return diagnostics.map((d) => formatDiagnostic(d, { sources, color, cwd })).join('\n\n');
}

/** The JSON event of one diagnostic. */
function diagnosticEvent(d: Diagnostic): string {
  return jsonEvent('diagnostic', {
    severity: d.severity,
    code: d.code,
    message: inertText(d.message),
    ...(d.location ? { file: d.location.file, line: d.location.line, col: d.location.col } : {}),
    ...(d.hint ? { hint: inertText(d.hint) } : {}),
  });
}

/** Writes diagnostics (warnings of a load, the errors of a failed one) in the terminal's mode. */
export function writeDiagnostics(term: Terminal, diagnostics: readonly Diagnostic[], cwd: string): void {
  if (diagnostics.length === 0) return;
  if (term.progress === 'json') for (const d of diagnostics) term.stderr.write(diagnosticEvent(d));
  else term.stderr.write(formatDiagnostics(diagnostics, term.color, cwd) + '\n');
}

/** Writes a one-line message of a kind (`warning`, `note`, `notice`) in the terminal's mode. */
export function writeMessage(term: Terminal, kind: 'warning' | 'note' | 'notice', message: string): void {
  if (term.progress === 'json') term.stderr.write(jsonEvent(kind, { message: inertText(message) }));
  else term.stderr.write(kind === 'notice' ? `${inertText(message)}\n` : `${kind}: ${inertText(message)}\n`);
}

/**
 * Reports a failed command and returns its exit code: a StackError with its diagnostics or
 * its code and message (made inert for the terminal), anything else as a bug.
 */
export function writeError(term: Terminal, error: unknown, options: { cwd: string; debug: boolean }): number {
  if (error instanceof StackError) {
    if (term.progress === 'json') {
      for (const d of error.diagnostics) term.stderr.write(diagnosticEvent(d));
      term.stderr.write(
        jsonEvent('error', { code: error.code, message: inertText(error.message), exitCode: error.exitCode }),
      );
    } else if (error.diagnostics.length > 0) {
      term.stderr.write(formatDiagnostics(error.diagnostics, term.color, options.cwd) + '\n');
      const errors = error.diagnostics.filter((d) => d.severity === 'error').length;
      if (errors > 1) term.stderr.write(`\n${errors} errors; nothing was changed on the engine.\n`);
    } else {
      // The message may quote the engine, a container's last log lines or the file: made inert.
      term.stderr.write(
        `${term.color ? '\u001b[31;1merror\u001b[0m' : 'error'}[${error.code}] ${inertText(error.message)}\n`,
      );
    }
    if (options.debug && error.stack) term.stderr.write(inertText(error.stack) + '\n');
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (term.progress === 'json')
    term.stderr.write(
      jsonEvent('error', { code: 'INTERNAL', message: inertText(err.message), exitCode: 1, bug: true }),
    );
  else
    term.stderr.write(
      `error[INTERNAL] ${inertText(err.message)}\n` +
        'This is a bug in stack. Please report it with the output of `stack --debug ...` and `stack version`.\n',
    );
  if (options.debug && err.stack) term.stderr.write(inertText(err.stack) + '\n');
  return 1;
}
