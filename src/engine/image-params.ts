/**
 * How image calls are spelled on the wire: the POST /build query of a BuildQuery, registry
 * credentials as the X-Registry-Auth header, an image reference as a URL path.
 */
import type { BuildQuery, RegistryAuth } from './types.js';

/** base64url of the JSON auth config, as X-Registry-Auth wants it (`{}` when anonymous). */
export function encodeAuth(auth: RegistryAuth | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {}))
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** An image reference as a URL path segment: slashes kept (the engine routes `{name:.*}`). */
export function imagePath(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

/**
 * The legacy builder's query: maps as JSON, `t` and `extrahosts` repeated, flags as 'true'.
 * `rm`/`forcerm`: intermediate containers never outlive the build, failed or not.
 */
export function buildParams(query: BuildQuery): Record<string, unknown> {
  const q: Record<string, unknown> = { dockerfile: query.dockerfile, t: [...query.t], rm: 'true', forcerm: 'true' };
  if (query.buildargs && Object.keys(query.buildargs).length > 0) q['buildargs'] = JSON.stringify(query.buildargs);
  if (query.labels && Object.keys(query.labels).length > 0) q['labels'] = JSON.stringify(query.labels);
  if (query.cachefrom && query.cachefrom.length > 0) q['cachefrom'] = JSON.stringify(query.cachefrom);
  if (query.target) q['target'] = query.target;
  if (query.networkmode) q['networkmode'] = query.networkmode;
  if (query.extrahosts && query.extrahosts.length > 0) q['extrahosts'] = [...query.extrahosts];
  if (query.shmsize !== undefined) q['shmsize'] = String(query.shmsize);
  if (query.nocache) q['nocache'] = 'true';
  if (query.pull) q['pull'] = 'true';
  if (query.platform) q['platform'] = query.platform;
  return q;
}
