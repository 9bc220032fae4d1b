/**
 * Every label key stack reads or writes, in one place. Ownership labels are Compose's, so
 * Docker Desktop, `docker compose ls/ps` and stack see the same project (DESIGN.md section 5).
 */
export const Label = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  /** On a one-off (`stack run`) container: Compose's random run ID, whose first 12 characters end its name. */
  slug: 'com.docker.compose.slug',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  composeConfigHash: 'com.docker.compose.config-hash',
  composeVersion: 'com.docker.compose.version',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  /** On an ephemeral lifecycle-hook container (Compose's): its hook type, `pre_start`. Never a replica. */
  hook: 'com.docker.compose.hook',
  /** `v1:` + sha256 of the canonical create body and resolved image ID (docs/architecture.md). */
  configHash: 'dev.stack.config-hash',
  /** On a temp-named replacement during a recreate: the ID of the container it replaces. */
  replaces: 'dev.stack.replaces',
  /** sha256 of the secrets/configs copied into the container and of its hooks (no values): a change recreates it. */
  filesHash: 'dev.stack.files-hash',
  /** Network/volume config hash, to detect drift of project networks and volumes. */
  resourceHash: 'dev.stack.resource-hash',
} as const;

/** The Compose version we claim in `com.docker.compose.version` (Compose tooling reads it). */
export const COMPOSE_COMPAT_VERSION = '2.0.0';
