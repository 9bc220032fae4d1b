// Generates benchmark stacks of N services in two shapes, as structured data (for the engine
// floor) and as a Compose file (for stack and docker-compose 1.29: no top-level `name:`, the
// project comes from -p).
//
// - independent: N services, default network, nothing else.
// - realistic: two user networks (front, back; every 5th service on both), a named volume per
//   service, 3 env vars each, every 10th service publishes a port on 127.0.0.1, and a
//   depends_on DAG of depth 5 (service i depends on service i-1 unless i is a multiple of 5).
//
// Every container runs a PID-1 shell that exits on SIGTERM, so `down` measures the engine and
// the tool, not a 10 s stop timeout.

export const BENCH_IMAGE = 'stack-test/busybox:latest';
export const BENCH_COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"];

/**
 * @typedef {object} BenchService
 * @property {string} name
 * @property {string[]} networks       Keys of the stack's networks ('default' for the default network).
 * @property {string | undefined} volume  Named volume key mounted at /data.
 * @property {Record<string, string>} environment
 * @property {{ host: number, container: number } | undefined} port  Published on 127.0.0.1.
 * @property {string[]} dependsOn
 */

/**
 * @typedef {object} BenchStack
 * @property {'independent' | 'realistic'} shape
 * @property {number} n
 * @property {BenchService[]} services
 * @property {string[]} networks  Network keys the stack creates.
 * @property {string[]} volumes   Named volume keys.
 */

/** @param {number} i */
const serviceName = (i) => `svc${String(i).padStart(3, '0')}`;

/**
 * @param {{ n: number, shape: 'independent' | 'realistic', portBase?: number, changed?: number }} options
 *   `changed`: index of the service whose environment carries CHANGED=1 (the one-service change).
 * @returns {BenchStack}
 */
export function generateStack({ n, shape, portBase = 28000, changed }) {
  /** @type {BenchService[]} */
  const services = [];
  for (let i = 0; i < n; i++) {
    const realistic = shape === 'realistic';
    /** @type {Record<string, string>} */
    const environment = realistic ? { APP_INDEX: String(i), APP_MODE: 'bench', APP_PEERS: String(n) } : {};
    if (changed === i) environment['CHANGED'] = '1';
    services.push({
      name: serviceName(i),
      networks: !realistic ? ['default'] : i % 5 === 0 ? ['front', 'back'] : i % 2 === 0 ? ['front'] : ['back'],
      volume: realistic ? `data${String(i).padStart(3, '0')}` : undefined,
      environment,
      port: realistic && i % 10 === 0 ? { host: portBase + i, container: 8080 } : undefined,
      dependsOn: realistic && i % 5 !== 0 ? [serviceName(i - 1)] : [],
    });
  }
  return {
    shape,
    n,
    services,
    networks: shape === 'realistic' ? ['front', 'back'] : ['default'],
    volumes: services.flatMap((s) => (s.volume ? [s.volume] : [])),
  };
}

/** @param {string} value */
const q = (value) => JSON.stringify(value);

/**
 * The Compose file (version-less Compose spec; docker-compose 1.29 accepts it).
 * @param {BenchStack} stack
 * @returns {string}
 */
export function toComposeYaml(stack) {
  const lines = ['services:'];
  for (const s of stack.services) {
    lines.push(`  ${s.name}:`);
    lines.push(`    image: ${BENCH_IMAGE}`);
    lines.push(`    command: [${BENCH_COMMAND.map(q).join(', ')}]`);
    const env = Object.entries(s.environment);
    if (env.length > 0) {
      lines.push('    environment:');
      for (const [k, v] of env) lines.push(`      ${k}: ${q(v)}`);
    }
    if (!(s.networks.length === 1 && s.networks[0] === 'default')) {
      lines.push('    networks:');
      for (const net of s.networks) lines.push(`      - ${net}`);
    }
    if (s.volume) {
      lines.push('    volumes:');
      lines.push(`      - ${s.volume}:/data`);
    }
    if (s.port) {
      lines.push('    ports:');
      lines.push(`      - ${q(`127.0.0.1:${s.port.host}:${s.port.container}`)}`);
    }
    if (s.dependsOn.length > 0) {
      lines.push('    depends_on:');
      for (const dep of s.dependsOn) lines.push(`      - ${dep}`);
    }
  }
  const userNetworks = stack.networks.filter((n) => n !== 'default');
  if (userNetworks.length > 0) {
    lines.push('networks:');
    for (const net of userNetworks) lines.push(`  ${net}: {}`);
  }
  if (stack.volumes.length > 0) {
    lines.push('volumes:');
    for (const vol of stack.volumes) lines.push(`  ${vol}: {}`);
  }
  return lines.join('\n') + '\n';
}
