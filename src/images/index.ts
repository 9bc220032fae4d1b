/** Images: build, pull, pull policies and the lock file (re-exports only). */
export { ensureImages, listModelImages } from './ensure.js';
export type { EnsureImagesOptions, EnsureImagesResult } from './ensure.js';
export { planImages, buildKey } from './plan-images.js';
export type {
  BuildMode,
  BuildTask,
  ImageDecision,
  ImagePlan,
  ImageProblem,
  ImageReason,
  PlanImagesOptions,
  PullMode,
  PullTask,
} from './plan-images.js';
export { decidePull, normalizePullPolicy, parseDurationSeconds } from './pull-policy.js';
export type { ImageReasonCode, NormalizedPullPolicy, PullDecision } from './pull-policy.js';
export {
  applyLock,
  compareLocks,
  loadAndApplyLock,
  lockFilePath,
  parseLock,
  readLockFile,
  serializeLock,
  writeLockFile,
  LOCK_VERSION,
} from './lock-file.js';
export type { AppliedLock, LockDrift, LockFile, LockedImage } from './lock-file.js';
export { resolveLock } from './lock-resolve.js';
export type { ResolveLockOptions, ResolvedLock } from './lock-resolve.js';
export { runBuild } from './build.js';
export type { BuildRunOptions } from './build.js';
export { createBuildImageHook } from './build-hook.js';
export type { BuildImageHook } from './build-hook.js';
export { pullOne } from './pull.js';
export type { PullOptions, PullResult } from './pull.js';
export { createImageProgress } from '../render/image-progress.js';
export type { ImageProgress, ImageProgressOptions } from '../render/image-progress.js';
export type { ImageEvent, ImageEventSink } from './events.js';
export { prepareContext, listContextEntries } from './context-tar.js';
export { parseDockerignore, createContextFilter } from './dockerignore.js';
