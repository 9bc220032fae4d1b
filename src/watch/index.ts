// Watch mode: the session loop and the pieces it is built from.
export { watchSession } from './session.js';
export type { ReconcileRequest, ReconcileSummary, WatchOutcome, WatchSessionOptions } from './session.js';
export { createCoalescer, systemClock } from './debounce.js';
export type { Clock, Coalescer, CoalescerOptions } from './debounce.js';
export { createPathFilter, isEditorTempFile, readDockerignore, ALWAYS_IGNORED_DIRS } from './ignore.js';
export type { PathFilter, PathFilterOptions, ContextIgnore } from './ignore.js';
export { planWatchWork, matchRules, containerPath, checkRules } from './rules.js';
export type { BoundRule, FileChange, SyncJob, WatchWork } from './rules.js';
export { startWatcher, sourcePaths, describeWatchError } from './watcher.js';
export type { StackWatcher, WatcherOptions } from './watcher.js';
export { buildTar } from './tar.js';
export type { TarEntry } from './tar.js';
export type { ReloadReport } from './report.js';
