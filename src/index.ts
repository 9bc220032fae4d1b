/** Public API of stack. Re-exports only. */
export { loadStack, loadRaw } from './loader/load.js';
export type { LoadOptions, RawStack } from './loader/load.js';
export type * from './model.js';
export { StackError, formatDiagnostic, ExitCode } from './errors.js';
export type { Diagnostic, ErrorCode, Severity, SourceLocation, FormatOptions } from './errors.js';
