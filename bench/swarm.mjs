#!/usr/bin/env node
// `node bench/swarm.mjs [--n 10,50] [--runs 1]`: the swarm target vs `docker stack deploy
// --resolve-image never` vs a direct-API floor, on the cluster of scripts/swarm-cluster.sh
// (needs `npm run build`: stack runs from dist/ as a library, in this process, since the CLI's
// --target swarm is wired separately). Scenarios per tool: cold deploy, no-op deploy, one
// service changed, down; each reports wall time and engine reads/writes (counting proxy).
// Not a timed test: numbers for the README and the issue.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEngineProxy } from './lib/engine-proxy.mjs';
import { createEngineClient, filterQuery } from './lib/engine-http.mjs';
import { formatMs, timeCommand } from './lib/measure.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MANAGER = '/run/stack-swarm/node1.sock';
const IMAGE = '10.123.0.1:5001/stack-test/busybox:latest';
const NS = 'com.docker.stack.namespace';
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10' },
    runs: { type: 'string', default: '1' },
    docker: { type: 'string', default: '/usr/local/bin/docker' },
  },
});
const swarm = await import(join(ROOT, 'dist/targets/swarm/index.js'));

/** @param {number} n @param {string} value */
function stackYaml(n, value) {
  let text = 'services:\n';
  for (let i = 0; i < n; i++) {
    text += `  s${i}:\n    image: ${IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    environment: { VALUE: "${i === 0 ? value : 'same'}" }\n    deploy: { endpoint_mode: dnsrr }\n`;
  }
  return text;
}

/** The floor: the fewest calls that reach the same state, with our labels for the no-op test. */
function floorTool(engine) {
  /** @param {string} project @param {number} n @param {string} value */
  const spec = (project, n, i, value) => ({
    Name: `${project}_s${i}`,
    Labels: { [NS]: project, 'bench.value': i === 0 ? value : 'same' },
    TaskTemplate: {
      ContainerSpec: {
        Image: IMAGE,
        Args: ['sleep', '3600'],
        Env: [`VALUE=${i === 0 ? value : 'same'}`],
        StopGracePeriod: 1e9,
        Labels: { [NS]: project },
      },
      Networks: [{ Target: `${project}_default` }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr' },
  });
  return {
    /** @param {string} project @param {number} n @param {string} value */
    async deploy(project, n, value) {
      const services = (await engine.must('GET', `/services?filters=${filterQuery({ label: [`${NS}=${project}`] })}`))
        .json;
      const byName = new Map(services.map((s) => [s.Spec.Name, s]));
      if (byName.size === 0)
        await engine.must('POST', '/networks/create', {
          Name: `${project}_default`,
          Driver: 'overlay',
          Labels: { [NS]: project },
        });
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const want = spec(project, n, i, value);
          const have = byName.get(want.Name);
          if (!have) return engine.must('POST', '/services/create', want);
          if (have.Spec.Labels['bench.value'] !== want.Labels['bench.value'])
            return engine.must('POST', `/services/${have.ID}/update?version=${have.Version.Index}`, want);
        }),
      );
    },
    /** @param {string} project */
    async down(project) {
      const services = (await engine.must('GET', `/services?filters=${filterQuery({ label: [`${NS}=${project}`] })}`))
        .json;
      await Promise.all(services.map((s) => engine.call('DELETE', `/services/${s.ID}`)));
      for (let i = 0; i < 120; i++) {
        const r = await engine.call('DELETE', `/networks/${project}_default`);
        if (r.status === 204 || r.status === 404) return;
        await new Promise((res) => setTimeout(res, 500));
      }
    },
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-bench-'));
  const proxy = await startEngineProxy({ target: MANAGER, socketPath: join(dir, 'engine.sock') });
  const env = { DOCKER_HOST: proxy.dockerHost };
  const engine = createEngineClient({ socketPath: proxy.socketPath });
  const floor = floorTool(engine);
  /** @type {string[]} */
  const rows = [];
  try {
    for (const n of values.n.split(',').map(Number)) {
      for (let run = 0; run < Number(values.runs); run++) {
        for (const tool of ['stack', 'docker stack deploy', 'floor']) {
          const project = `bench${n}${tool.replace(/\W/g, '').slice(0, 5)}${run}`;
          const file = join(dir, `${project}.yaml`);
          /** @param {string} value */
          const deploy = async (value) => {
            writeFileSync(file, stackYaml(n, value));
            if (tool === 'stack') {
              const client = await swarm.connectSwarm(env);
              await swarm.upSwarm(
                client,
                await swarm.prepareSwarm(client, { cwd: dir, env, projectName: project, files: [file] }),
                { removeOrphans: true, concurrency: 8 },
              );
            } else if (tool === 'floor') {
              await floor.deploy(project, n, value);
            } else {
              const r = await timeCommand(values.docker, [
                '-H',
                proxy.dockerHost,
                'stack',
                'deploy',
                '--detach=true',
                '--resolve-image',
                'never',
                '-c',
                file,
                project,
              ]);
              if (r.code !== 0) throw new Error(r.stderr);
            }
          };
          const down = async () => {
            if (tool === 'stack') await swarm.downSwarm(await swarm.connectSwarm(env), project);
            else if (tool === 'floor') await floor.down(project);
            else await timeCommand(values.docker, ['-H', proxy.dockerHost, 'stack', 'rm', '--detach=true', project]);
          };
          /** @param {string} name @param {() => Promise<void>} fn */
          const measure = async (name, fn) => {
            proxy.reset();
            const t0 = performance.now();
            await fn();
            const ms = performance.now() - t0;
            rows.push(
              `| ${n} | ${tool} | ${name} | ${formatMs(ms)} | ${proxy.counts.reads} | ${proxy.counts.writes} |`,
            );
          };
          await measure('cold deploy', () => deploy('a'));
          await measure('no-op deploy', () => deploy('a'));
          await measure('one service changed', () => deploy('b'));
          await measure('down', down);
          // Let the nodes finish stopping the tasks before the next tool (shared 2 cores).
          execFileSync('sleep', ['3']);
        }
      }
    }
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = ['| N | tool | scenario | time | reads | writes |', '|---|---|---|---|---|---|', ...rows].join('\n');
  console.log(table);
}

await main();
