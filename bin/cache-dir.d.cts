/** Types of bin/cache-dir.cjs (CommonJS, shared by the CLI shim and the bundle). */
type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CACHE_HOME/stack`, else `~/.cache/stack`; undefined without a home directory. */
export declare function userCacheDir(env: Env): string | undefined;

/** Why `path` may not be trusted (kind, symlink, owner, group/other-writable), or undefined. Throws what lstat throws. */
export declare function untrustedReason(path: string, kind: 'dir' | 'file'): string | undefined;

