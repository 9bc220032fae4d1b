/**
 * `extends`: a service starts from another service (same file, or `file:` relative to the
 * extending file) and merges its own keys over it by the Compose rules. Recursive, with
 * cycle detection; positions keep pointing at whichever file wrote each value. Pure: other
 * files come through `loadFile`.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { diagnostic } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { isPlainMap, mergeValue } from './merge-rules.js';
import { Provenance } from './provenance.js';
import type { Locate, ParsedFile, Path, Result } from './types.js';

/** Reads, parses and interpolates another stack file (absolute path). */
export type LoadExtendedFile = (file: string) => Result<ParsedFile | undefined>;

interface Context {
  readonly file: string;
  readonly services: Record<string, unknown>;
  readonly prov: Provenance;
  /** Services already handled: true = resolved, false = failed (reported once). */
  readonly done: Map<string, boolean>;
}

interface State {
  readonly loadFile: LoadExtendedFile;
  readonly contexts: Map<string, Context | undefined>;
  readonly diagnostics: Diagnostic[];
  readonly sourceFiles: Set<string>;
}

function servicesOf(data: Record<string, unknown>): Record<string, unknown> {
  const services = data['services'];
  return isPlainMap(services) ? services : (Object.create(null) as Record<string, unknown>);
}

const RELATIVE = /^\.\.?(\/|$)/;

/** Relative paths of a service from another directory made absolute (Compose rebases them). */
export function rebase(service: Record<string, unknown>, dir: string): void {
  const abs = (p: unknown): unknown =>
    typeof p === 'string' && !isAbsolute(p) && !p.includes('://') ? resolve(dir, p) : p;
  const build = service['build'];
  if (typeof build === 'string') service['build'] = abs(build);
  else if (isPlainMap(build) && typeof build['context'] === 'string') build['context'] = abs(build['context']);
  const envFile = service['env_file'];
  if (typeof envFile === 'string') service['env_file'] = abs(envFile);
  else if (Array.isArray(envFile))
    service['env_file'] = envFile.map((e: unknown) => (isPlainMap(e) ? { ...e, path: abs(e['path']) } : abs(e)));
  const volumes = service['volumes'];
  if (Array.isArray(volumes)) {
    service['volumes'] = volumes.map((v: unknown) => {
      if (typeof v === 'string' && RELATIVE.test(v)) {
        const colon = v.indexOf(':');
        return colon === -1 ? v : String(abs(v.slice(0, colon))) + v.slice(colon);
      }
      if (isPlainMap(v) && v['type'] === 'bind' && typeof v['source'] === 'string' && RELATIVE.test(v['source']))
        return { ...v, source: abs(v['source']) };
      return v;
    });
  }
}

function contextFor(state: State, file: string, at: Locate, path: Path): Context | undefined {
  if (state.contexts.has(file)) return state.contexts.get(file);
  const loaded = state.loadFile(file);
  state.sourceFiles.add(file);
  let ctx: Context | undefined;
  if (loaded.value) {
    const prov = new Provenance();
    prov.record([], loaded.value.locate);
    ctx = { file, services: servicesOf(loaded.value.data), prov, done: new Map() };
    state.diagnostics.push(...loaded.diagnostics);
  } else if (loaded.diagnostics.every((d) => d.code === 'FILE_NOT_FOUND' || d.code === 'FILE_UNREADABLE')) {
    state.diagnostics.push(diagnostic('EXTENDS_NOT_FOUND', `extends: cannot read ${file}`, at(path)));
  } else {
    state.diagnostics.push(...loaded.diagnostics);
  }
  state.contexts.set(file, ctx);
  return ctx;
}

/** Resolves `name` in `ctx` (its own extends first); false when it cannot be resolved. */
function resolveService(state: State, ctx: Context, name: string, chain: string[]): boolean {
  const id = `${ctx.file}#${name}`;
  const service = ctx.services[name];
  const known = ctx.done.get(name);
  if (known !== undefined || !isPlainMap(service)) return (known ?? true) && isPlainMap(service);
  const ok = resolveBase(state, ctx, name, service, chain, id);
  if (!chain.includes(id)) ctx.done.set(name, ok);
  return ok;
}

function resolveBase(
  state: State,
  ctx: Context,
  name: string,
  service: Record<string, unknown>,
  chain: string[],
  id: string,
): boolean {
  const base = service['extends'];
  const here = ['services', name, 'extends'];
  if (base === undefined) return true;
  const baseName =
    typeof base === 'string'
      ? base
      : isPlainMap(base) && typeof base['service'] === 'string'
        ? base['service']
        : undefined;
  const baseFile = isPlainMap(base) && typeof base['file'] === 'string' ? base['file'] : undefined;
  // A malformed value is reported by the schema.
  if (baseName === undefined) return true;
  if (chain.includes(id)) {
    const names = [...chain.slice(chain.indexOf(id)), id].map((c) => c.slice(c.indexOf('#') + 1));
    state.diagnostics.push(
      diagnostic('EXTENDS_CYCLE', `extends cycle: ${names.join(' -> ')}`, ctx.prov.locate(here, 'key')),
    );
    return false;
  }
  const fromDir = dirname(ctx.prov.locate(here)?.file ?? ctx.file);
  const target =
    baseFile === undefined ? ctx : contextFor(state, resolve(fromDir, baseFile), ctx.prov.locate, [...here, 'file']);
  if (!target) return false;
  if (!isPlainMap(target.services[baseName])) {
    const where = baseFile === undefined ? 'this file' : target.file;
    state.diagnostics.push(
      diagnostic(
        'EXTENDS_NOT_FOUND',
        `extends: no service "${baseName}" in ${where}`,
        ctx.prov.locate(typeof base === 'string' ? here : [...here, 'service']),
      ),
    );
    return false;
  }
  if (!resolveService(state, target, baseName, [...chain, id])) return false;

  // Rebuild the service: a copy of the resolved base, then its own keys merged over it.
  const own = ctx.prov.detach(['services', name]);
  const basePath = ['services', baseName];
  const baseLocate: Locate = (p, at) => target.prov.locate([...basePath, ...p.slice(2)], at);
  ctx.prov.record(['services', name], baseLocate, ['services', name]);
  const result = mergeValue(toNullProto(target.services[baseName]), withoutExtends(service), ['services', name], {
    locate: own,
    prov: ctx.prov,
    resets: new Set(),
    overrides: new Set(),
    sourcePath: (p) => p,
  }) as Record<string, unknown>;
  if (target !== ctx && dirname(target.file) !== dirname(ctx.file)) rebase(result, dirname(target.file));
  delete result['extends'];
  ctx.services[name] = result;
  return true;
}

function withoutExtends(service: Record<string, unknown>): Record<string, unknown> {
  const out = Object.assign(Object.create(null) as Record<string, unknown>, service);
  delete out['extends'];
  return out;
}

function toNullProto(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toNullProto);
  if (!isPlainMap(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[k] = toNullProto(v);
  return out;
}

/** What `applyExtends` produced. `sourceFiles` are the other files read. */
export interface ExtendsResult {
  readonly data: Record<string, unknown>;
  readonly sourceFiles: readonly string[];
}

/**
 * Applies `extends` to every service of the merged `data` (modified in place, with `prov`
 * updated so `prov.locate` stays right). `file` is the first stack file (relative `file:`
 * values resolve against the file that wrote them).
 */
export function applyExtends(
  data: Record<string, unknown>,
  file: string,
  prov: Provenance,
  loadFile: LoadExtendedFile,
): Result<ExtendsResult> {
  const state: State = { loadFile, contexts: new Map(), diagnostics: [], sourceFiles: new Set() };
  const main: Context = { file, services: servicesOf(data), prov, done: new Map() };
  for (const name of Object.keys(main.services).sort()) resolveService(state, main, name, []);
  return { value: { data, sourceFiles: [...state.sourceFiles] }, diagnostics: state.diagnostics };
}
