#!/usr/bin/env node
// The engine floor: the least a tool must do on the Engine API for each scenario, with raw
// node:http over the socket and the same concurrency bound as the tool under test. Run as its
// own process so its time includes a Node start-up, like the CLIs it is compared with.
//
//   node bench/floor.mjs <up|noop|change|down> --spec stack.json --project P [--parallel 8]
//
// up:     create networks and volumes, then per service create → connect extra networks →
//         start, in depends_on order (a service starts after its dependencies started).
// noop:   the three project list calls (containers, networks, volumes) that prove nothing
//         needs doing.
// change: list containers, then stop → remove → create → start the one changed service.
// down:   list containers, stop → remove each in reverse depends_on order, then remove the
//         networks and (like `down -v`) the volumes.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BENCH_COMMAND, BENCH_IMAGE } from './lib/generate.mjs';
import { createEngineClient, filterQuery, runDag } from './lib/engine-http.mjs';

/** @typedef {import('./lib/generate.mjs').BenchStack} BenchStack */
/** @typedef {import('./lib/generate.mjs').BenchService} BenchService */

const PROJECT_LABEL = 'com.docker.compose.project';

/**
 * @param {string} project
 * @param {BenchService} s
 */
function containerBody(project, s) {
  const [first] = s.networks;
  const netName = `${project}_${first}`;
  return {
    Image: BENCH_IMAGE,
    Cmd: BENCH_COMMAND,
    Env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [PROJECT_LABEL]: project,
      'com.docker.compose.service': s.name,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
    },
    ExposedPorts: s.port ? { [`${s.port.container}/tcp`]: {} } : {},
    HostConfig: {
      NetworkMode: netName,
      Binds: s.volume ? [`${project}_${s.volume}:/data`] : [],
      PortBindings: s.port
        ? { [`${s.port.container}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(s.port.host) }] }
        : {},
    },
    NetworkingConfig: { EndpointsConfig: { [netName]: { Aliases: [s.name] } } },
  };
}

/**
 * Tasks that create and start one service: create → connect(extra networks) → start.
 * @param {ReturnType<typeof createEngineClient>} engine
 * @param {string} project
 * @param {BenchService} s
 * @param {string[]} deps  Task ids that must finish before the create.
 */
function serviceUpTasks(engine, project, s, deps) {
  const name = `${project}-${s.name}-1`;
  const tasks = [
    {
      id: `create:${s.name}`,
      deps,
      run: () => engine.must('POST', `/containers/create?name=${name}`, containerBody(project, s)),
    },
  ];
  let last = `create:${s.name}`;
  for (const extra of s.networks.slice(1)) {
    const id = `connect:${s.name}:${extra}`;
    tasks.push({
      id,
      deps: [last],
      run: () =>
        engine.must('POST', `/networks/${project}_${extra}/connect`, {
          Container: name,
          EndpointConfig: { Aliases: [s.name] },
        }),
    });
    last = id;
  }
  tasks.push({ id: `start:${s.name}`, deps: [last], run: () => engine.must('POST', `/containers/${name}/start`) });
  return tasks;
}

/**
 * @param {ReturnType<typeof createEngineClient>} engine
 * @param {BenchStack} stack
 * @param {string} project
 * @param {number} parallel
 */
export async function floorUp(engine, stack, project, parallel) {
  const labels = { [PROJECT_LABEL]: project };
  const tasks = [];
  for (const net of stack.networks) {
    tasks.push({
      id: `network:${net}`,
      deps: [],
      run: () =>
        engine.must('POST', '/networks/create', {
          Name: `${project}_${net}`,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: { ...labels, 'com.docker.compose.network': net },
        }),
    });
  }
  for (const vol of stack.volumes) {
    tasks.push({
      id: `volume:${vol}`,
      deps: [],
      run: () =>
        engine.must('POST', '/volumes/create', {
          Name: `${project}_${vol}`,
          Labels: { ...labels, 'com.docker.compose.volume': vol },
        }),
    });
  }
  for (const s of stack.services) {
    const deps = [
      ...s.networks.map((n) => `network:${n}`),
      ...(s.volume ? [`volume:${s.volume}`] : []),
      ...s.dependsOn.map((d) => `start:${d}`),
    ];
    tasks.push(...serviceUpTasks(engine, project, s, deps));
  }
  await runDag(tasks, parallel);
}

/** @param {ReturnType<typeof createEngineClient>} engine @param {string} project */
async function listProject(engine, project) {
  const f = filterQuery({ label: [`${PROJECT_LABEL}=${project}`] });
  const [containers, networks, volumes] = await Promise.all([
    engine.must('GET', `/containers/json?all=1&filters=${f}`),
    engine.must('GET', `/networks?filters=${f}`),
    engine.must('GET', `/volumes?filters=${f}`),
  ]);
  return { containers: containers.json, networks: networks.json, volumes: volumes.json.Volumes ?? [] };
}

/**
 * @param {ReturnType<typeof createEngineClient>} engine
 * @param {BenchStack} stack  The changed stack (one service's environment differs).
 * @param {string} project
 * @param {number} changed  Index of the changed service.
 */
export async function floorChange(engine, stack, project, changed) {
  const f = filterQuery({ label: [`${PROJECT_LABEL}=${project}`] });
  await engine.must('GET', `/containers/json?all=1&filters=${f}`);
  const s = stack.services[changed];
  if (!s) throw new Error(`no service ${changed}`);
  const name = `${project}-${s.name}-1`;
  await engine.must('POST', `/containers/${name}/stop`);
  await engine.must('DELETE', `/containers/${name}`);
  await runDag(serviceUpTasks(engine, project, s, []), 1);
}

/**
 * @param {ReturnType<typeof createEngineClient>} engine
 * @param {BenchStack} stack
 * @param {string} project
 * @param {number} parallel
 */
export async function floorDown(engine, stack, project, parallel) {
  const f = filterQuery({ label: [`${PROJECT_LABEL}=${project}`] });
  const containers = (await engine.must('GET', `/containers/json?all=1&filters=${f}`)).json;
  /** @type {Map<string, string>} service → container id */
  const byService = new Map(containers.map((/** @type {any} */ c) => [c.Labels['com.docker.compose.service'], c.Id]));
  // Reverse dependency order: a service stops after everything that depends on it stopped.
  /** @type {Map<string, string[]>} */
  const dependents = new Map();
  for (const s of stack.services)
    for (const d of s.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), s.name]);
  const tasks = [];
  for (const s of stack.services) {
    const id = byService.get(s.name);
    if (!id) continue;
    const deps = (dependents.get(s.name) ?? []).filter((d) => byService.has(d)).map((d) => `remove:${d}`);
    tasks.push({ id: `stop:${s.name}`, deps, run: () => engine.must('POST', `/containers/${id}/stop`) });
    tasks.push({
      id: `remove:${s.name}`,
      deps: [`stop:${s.name}`],
      run: () => engine.must('DELETE', `/containers/${id}?v=1`, undefined, [204, 404]),
    });
  }
  await runDag(tasks, parallel);
  // Networks and volumes go once every container is gone.
  const after = [];
  for (const net of stack.networks)
    after.push({
      id: `network:${net}`,
      deps: [],
      run: () => engine.must('DELETE', `/networks/${project}_${net}`, undefined, [204, 404]),
    });
  for (const vol of stack.volumes)
    after.push({
      id: `volume:${vol}`,
      deps: [],
      run: () => engine.must('DELETE', `/volumes/${project}_${vol}`, undefined, [204, 404]),
    });
  await runDag(after, parallel);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      spec: { type: 'string' },
      project: { type: 'string' },
      parallel: { type: 'string', default: '8' },
      changed: { type: 'string', default: '0' },
    },
  });
  const op = positionals[0];
  if (!op || !values.spec || !values.project) {
    process.stderr.write(
      'usage: node bench/floor.mjs <up|noop|change|down> --spec stack.json --project P [--parallel 8] [--changed i]\n',
    );
    process.exit(2);
  }
  /** @type {BenchStack} */
  const stack = JSON.parse(readFileSync(values.spec, 'utf8'));
  const parallel = Number(values.parallel);
  const engine = createEngineClient({ maxSockets: parallel });
  try {
    if (op === 'up') await floorUp(engine, stack, values.project, parallel);
    else if (op === 'noop') await listProject(engine, values.project);
    else if (op === 'change') await floorChange(engine, stack, values.project, Number(values.changed));
    else if (op === 'down') await floorDown(engine, stack, values.project, parallel);
    else throw new Error(`unknown op ${op}`);
  } finally {
    engine.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    process.stderr.write(`floor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
