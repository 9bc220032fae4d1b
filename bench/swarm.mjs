#!/usr/bin/env node
// `node bench/swarm.mjs [--n 10,50] [--samples 7]`: the swarm target vs `docker stack deploy
// --resolve-image never` vs a direct-API floor, on the cluster of scripts/swarm-cluster.sh
// (needs `npm run build`). Every tool runs as its own process, so each time includes a Node
// (or Go) start-up, as in bench/run.mjs: stack is the CLI (`stack --target swarm up -d`), the
// floor is this file run with `--floor`. Each scenario reports wall time and engine reads and
// writes (counting proxy). Not a timed test: numbers for the README and the issue.
//
// Scenarios per tool: cold deploy, no-op deploy, one service changed, down. The no-op is
// sampled `--samples` times, stack and the floor interleaved (the floor reads stack's project),
// with `node -e 0` as the start-up baseline. `--wait` latency: how long after the last task
// turned running (a cold deploy) or the swarm marked the update completed (one change) stack's
// `up --wait` returned; the task and update timestamps are the manager's, on this machine's clock.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEngineProxy } from './lib/engine-proxy.mjs';
import { createEngineClient, filterQuery } from './lib/engine-http.mjs';
import { formatMs, formatRatio, median, timeCommand } from './lib/measure.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SELF = fileURLToPath(import.meta.url);
const MANAGER = '/run/stack-swarm/node1.sock';
const IMAGE = '10.123.0.1:5001/stack-test/busybox:latest';
const NS = 'com.docker.stack.namespace';
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10' },
    samples: { type: 'string', default: '7' },
    docker: { type: 'string', default: '/usr/local/bin/docker' },
    // Floor mode: `--floor deploy|noop|down --project P --n N --value V --socket S`.
    floor: { type: 'string' },
    project: { type: 'string' },
    value: { type: 'string', default: 'a' },
    socket: { type: 'string', default: MANAGER },
  },
});

/** @param {number} n @param {string} value */
function stackYaml(n, value) {
  let text = 'services:\n';
  for (let i = 0; i < n; i++) {
    text += `  s${i}:\n    image: ${IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    environment: { VALUE: "${i === 0 ? value : 'same'}" }\n    deploy: { endpoint_mode: dnsrr }\n`;
  }
  return text;
}

/** The floor: the fewest calls that reach the same state, with a label of its own for the no-op test. */
function floorTool(engine) {
  const list = async (project) =>
    (await engine.must('GET', `/services?filters=${filterQuery({ label: [`${NS}=${project}`] })}`)).json;
  /** @param {string} project @param {number} i @param {string} value */
  const spec = (project, i, value) => ({
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
    /** One list: a tool that finds nothing to do has read at least this. */
    noop: list,
    async deploy(project, n, value) {
      const byName = new Map((await list(project)).map((s) => [s.Spec.Name, s]));
      if (byName.size === 0)
        await engine.must('POST', '/networks/create', {
          Name: `${project}_default`,
          Driver: 'overlay',
          Labels: { [NS]: project },
        });
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const want = spec(project, i, value);
          const have = byName.get(want.Name);
          if (!have) return engine.must('POST', '/services/create', want);
          if (have.Spec.Labels['bench.value'] !== want.Labels['bench.value'])
            return engine.must('POST', `/services/${have.ID}/update?version=${have.Version.Index}`, want);
        }),
      );
    },
    async down(project) {
      await Promise.all((await list(project)).map((s) => engine.call('DELETE', `/services/${s.ID}`)));
      for (let i = 0; i < 120; i++) {
        const r = await engine.call('DELETE', `/networks/${project}_default`);
        if (r.status === 204 || r.status === 404) return;
        await new Promise((res) => setTimeout(res, 500));
      }
    },
  };
}

if (values.floor) {
  const engine = createEngineClient({ socketPath: values.socket });
  const floor = floorTool(engine);
  const project = /** @type {string} */ (values.project);
  if (values.floor === 'noop') await floor.noop(project);
  else if (values.floor === 'deploy') await floor.deploy(project, Number(values.n), values.value);
  else await floor.down(project);
  engine.close();
} else {
  await main();
}

/** The latest `Status.Timestamp` of the running tasks of the project's services (ms). */
async function lastRunning(engine, project) {
  const filters = filterQuery({ label: [`${NS}=${project}`], 'desired-state': ['running'] });
  const tasks = (await engine.must('GET', `/tasks?filters=${filters}`)).json;
  return Math.max(...tasks.filter((t) => t.Status.State === 'running').map((t) => Date.parse(t.Status.Timestamp)));
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-bench-'));
  const proxy = await startEngineProxy({ target: MANAGER, socketPath: join(dir, 'engine.sock') });
  const engine = createEngineClient({ socketPath: MANAGER });
  const env = { ...process.env, DOCKER_HOST: proxy.dockerHost, NO_COLOR: '1' };
  /** @type {string[]} */
  const rows = [];
  /** @type {string[]} */
  const notes = [];
  const row = (n, tool, scenario, ms, extra = '') =>
    rows.push(`| ${n} | ${tool} | ${scenario} | ${ms} | ${proxy.counts.reads} | ${proxy.counts.writes} |${extra}`);
  const run = async (cmd, args) => {
    proxy.reset();
    const r = await timeCommand(cmd, args, { env, cwd: dir, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  try {
    for (const n of values.n.split(',').map(Number)) {
      const samples = Number(values.samples);
      // stack (the CLI), with the floor's no-op interleaved on stack's project.
      const project = `bench${n}stack`;
      const file = join(dir, `${project}.yaml`);
      const stack = (...args) =>
        run('node', [join(ROOT, 'bin/stack.cjs'), '-p', project, '-f', file, '--target', 'swarm', ...args]);
      writeFileSync(file, stackYaml(n, 'a'));
      let r = await stack('up', '-d', '--wait', '--remove-orphans');
      const coldEnd = Date.now();
      row(n, 'stack', 'cold deploy (--wait)', formatMs(r.ms));
      notes.push(
        `N=${n} cold --wait: returned ${formatMs(coldEnd - (await lastRunning(engine, project)))} after the last task ran`,
      );
      const timesOf = { stack: [], floor: [], node: [] };
      let noopCounts = '';
      for (let k = 0; k < samples; k++) {
        r = await stack('up', '-d', '--remove-orphans');
        timesOf.stack.push(r.ms);
        noopCounts = `${proxy.counts.reads} / ${proxy.counts.writes}`;
        r = await run('node', [SELF, '--floor', 'noop', '--project', project, '--socket', proxy.socketPath]);
        timesOf.floor.push(r.ms);
        r = await run('node', ['-e', '0']);
        timesOf.node.push(r.ms);
      }
      const [s, f, z] = [median(timesOf.stack), median(timesOf.floor), median(timesOf.node)];
      rows.push(
        `| ${n} | stack | no-op deploy (median of ${samples}) | ${formatMs(s)} | ${noopCounts.replace(' / ', ' | ')} | ` +
          `${formatRatio(s, f)} of the floor; above node start-up: ${formatMs(s - z)} vs ${formatMs(f - z)}`,
      );
      rows.push(`| ${n} | floor | no-op (median of ${samples}) | ${formatMs(f)} | 1 | 0 |`);
      rows.push(`| ${n} | node -e 0 | start-up (median of ${samples}) | ${formatMs(z)} | 0 | 0 |`);
      writeFileSync(file, stackYaml(n, 'b'));
      r = await stack('up', '-d', '--wait', '--remove-orphans');
      const changeEnd = Date.now();
      row(n, 'stack', 'one service changed (--wait)', formatMs(r.ms));
      const changed = (
        await engine.must('GET', `/services?filters=${filterQuery({ name: [`${project}_s0`] })}`)
      ).json.find((svc) => svc.Spec.Name === `${project}_s0`);
      const completed = Date.parse(changed?.UpdateStatus?.CompletedAt ?? '');
      notes.push(
        `N=${n} one change --wait: returned ${formatMs(changeEnd - completed)} after the swarm marked the update ` +
          `completed (${formatMs(changeEnd - (await lastRunning(engine, project)))} after the last task ran; ` +
          'the update stays "updating" for update_config.monitor, 5 s by default)',
      );
      r = await stack('down');
      row(n, 'stack', 'down', formatMs(r.ms));
      execFileSync('sleep', ['3']);

      for (const tool of ['docker stack deploy', 'floor']) {
        const p = `bench${n}${tool === 'floor' ? 'floor' : 'docker'}`;
        const f2 = join(dir, `${p}.yaml`);
        const deploy = (value) => {
          writeFileSync(f2, stackYaml(n, value));
          return tool === 'floor'
            ? run('node', [
                SELF,
                '--floor',
                'deploy',
                '--project',
                p,
                '--n',
                String(n),
                '--value',
                value,
                '--socket',
                proxy.socketPath,
              ])
            : run(values.docker, [
                '-H',
                proxy.dockerHost,
                'stack',
                'deploy',
                '--detach=true',
                '--resolve-image',
                'never',
                '-c',
                f2,
                p,
              ]);
        };
        r = await deploy('a');
        row(n, tool, 'cold deploy', formatMs(r.ms));
        r = await deploy('a');
        row(n, tool, 'no-op deploy', formatMs(r.ms));
        r = await deploy('b');
        row(n, tool, 'one service changed', formatMs(r.ms));
        r =
          tool === 'floor'
            ? await run('node', [SELF, '--floor', 'down', '--project', p, '--socket', proxy.socketPath])
            : await run(values.docker, ['-H', proxy.dockerHost, 'stack', 'rm', '--detach=true', p]);
        row(n, tool, 'down', formatMs(r.ms));
        execFileSync('sleep', ['3']);
      }
    }
  } finally {
    await proxy.close();
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = ['| N | tool | scenario | time | reads | writes | |', '|---|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
  console.log(table);
  console.log('');
  for (const note of notes) console.log(`- ${note}`);
}
