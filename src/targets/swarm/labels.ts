/**
 * Label keys of the swarm target. The namespace label is `docker stack`'s, so `docker stack
 * ls/ps/services` see a stack made by stack, and a stack made by `docker stack deploy` is
 * taken over; the hashes are ours.
 */
import { Label } from '../../labels.js';

export const SwarmLabel = {
  /** The project, on every service, container, network, secret and config (docker stack's own key). */
  namespace: 'com.docker.stack.namespace',
  /** The image as written in the file, before it was pinned by digest (docker stack's own key). */
  image: 'com.docker.stack.image',
  /** `v1:` + sha256 of the service spec without this label (see hash.ts). */
  configHash: Label.configHash,
  /** On a network: `v1:` + sha256 of its field groups (see hash.ts); Swarm networks cannot be updated. */
  resourceHash: Label.resourceHash,
  /** Compact JSON of one short hash per field group of a service spec or network: the plan names what changed. */
  fieldHashes: 'dev.stack.field-hashes',
  /** On a service created or updated with `--with-registry-auth`: the registry its credentials are for. */
  registryAuth: 'dev.stack.registry-auth',
  /** On the container of a service's task (set by the node): the task's ID. */
  taskId: 'com.docker.swarm.task.id',
  /** On a secret or config: the key in the file it was made from. */
  fileKey: 'dev.stack.swarm.key',
} as const;
