// The user's cache directory of stack, shared by the CLI shim (the V8 code cache, before the
// bundle is loaded) and the bundle (the model cache, the pull times): one rule for where it is
// and one for when what is read from it may be trusted.
//
// CommonJS beside the shim on purpose: the shim needs it before any ES module is loaded (that
// would cost start-up time), and esbuild inlines it into the bundle.
'use strict';
const { lstatSync } = require('node:fs');
const { homedir } = require('node:os');
const { isAbsolute, join } = require('node:path');

/**
 * `$XDG_CACHE_HOME/stack`, else `~/.cache/stack` (a relative XDG_CACHE_HOME is ignored, as the
 * XDG spec says), or undefined when there is no home directory.
 */
function userCacheDir(env) {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'stack');
  let home = env.HOME;
  if (!home) {
    try {
      home = homedir();
    } catch {
      return undefined;
    }
  }
  return home ? join(home, '.cache', 'stack') : undefined;
}

/**
 * Why `path` may not be trusted (not the kind expected, a symlink, owned by another user,
 * writable by its group or others), or undefined when it may. Throws what lstat throws.
 */
function untrustedReason(path, kind) {
  const stat = lstatSync(path);
  if (kind === 'dir' ? !stat.isDirectory() : !stat.isFile())
    return `${path} is not a ${kind === 'dir' ? 'directory' : 'regular file'}`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    return `${path} is owned by uid ${stat.uid}, not by the current user (${uid})`;
  if ((stat.mode & 0o022) !== 0)
    return `${path} is writable by ${(stat.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${(stat.mode & 0o777).toString(8)})`;
  return undefined;
}

module.exports = { userCacheDir, untrustedReason };
