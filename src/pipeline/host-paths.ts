/**
 * Where the model's host paths really lead, for the plan's host-access notes
 * (src/planner/host-access.ts): each bind source, secret and config file, env_file, build
 * context and Dockerfile, and the project directory, with symlinks resolved. Read at plan time,
 * never cached with the model: a symlink may change between runs without any file changing.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StackModel } from '../model.js';
import { declaredHostPaths } from '../planner/host-access.js';
import type { HostPaths } from '../planner/types.js';

/** `path` with every symlink resolved; a missing tail (the engine may create it) is kept as written. */
export function realHostPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const parent = dirname(path);
    // A loop or no permission: judged as written (the engine will meet the same).
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) return path;
    return join(realHostPath(parent), basename(path));
  }
}

/** The resolved project directory and host paths of `model`. */
export function resolveHostPaths(model: StackModel): HostPaths {
  const real: Record<string, string> = {};
  for (const path of declaredHostPaths(model)) real[path] = realHostPath(path);
  return { projectDir: realHostPath(model.workingDir), real };
}
