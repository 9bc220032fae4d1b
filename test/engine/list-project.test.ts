import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { Engine, EngineContainer, EngineFilters } from '../../src/engine/types.js';
import {
  listProjectContainers,
  listProjects,
  listRunningReplicas,
  observe,
  observeImages,
  sameListing,
} from '../../src/engine/observe.js';
import { model, service, volume } from '../planner/helpers.js';
import { execBody, findRunningReplica } from '../../src/pipeline/exec.js';
import { fakeEngine } from '../support/fake-engine.js';

function listed(name: string, labels: Record<string, string>, state = 'running'): EngineContainer {
  return {
    Id: `id-${name}`,
    Names: [`/${name}`],
    Image: 'x',
    ImageID: 'sha256:x',
    Labels: labels,
    State: state,
    Status: state,
    Created: 0,
  };
}

const p = (service: string, n: number, extra: Record<string, string> = {}): Record<string, string> => ({
  [Label.project]: 'p',
  [Label.service]: service,
  [Label.containerNumber]: String(n),
  ...extra,
});

/** An engine whose list returns `containers` and records each query. */
function listing(containers: EngineContainer[]): {
  engine: Engine;
  queries: { all?: boolean; filters?: EngineFilters }[];
} {
  const queries: { all?: boolean; filters?: EngineFilters }[] = [];
  const engine: Engine = { ...fakeEngine(), listContainers: async (query) => (queries.push(query), containers) };
  return { engine, queries };
}

const containers = [
  listed('p-web-2', p('web', 2)),
  listed('p-web-1', p('web', 1), 'exited'),
  listed('p-db-1', p('db', 1)),
  listed('p-web-run-1', p('web', 1, { [Label.oneoff]: 'True' })),
];

describe("the project's containers, listed in one place", () => {
  it('all states of every service by name, one-offs left out, in one list call filtered by the project label', async () => {
    const { engine, queries } = listing(containers);
    const names = (await listProjectContainers(engine, 'p')).map((c) => c.Names[0]);
    expect(names).toEqual(['/p-db-1', '/p-web-1', '/p-web-2']);
    expect(queries).toEqual([{ all: true, filters: { label: [`${Label.project}=p`] } }]);
  });

  it('one service is filtered by the engine; one-offs only when asked; IDs and running state go to the engine', async () => {
    const { engine, queries } = listing(containers);
    const names = (
      await listProjectContainers(engine, 'p', { services: ['web'], oneoffs: true, ids: ['abc'], running: true })
    ).map((c) => c.Names[0]);
    expect(names).toEqual(['/p-web-1', '/p-web-2', '/p-web-run-1']);
    expect(queries).toEqual([
      { all: false, filters: { label: [`${Label.project}=p`, `${Label.service}=web`], id: ['abc'] } },
    ]);
  });

  it('many IDs are matched here, not sent as one engine filter each (500 made a 33 KB query a socket proxy refused)', async () => {
    const { engine, queries } = listing(containers);
    const ids = ['id-p-db-1', 'id-p-web-2', ...Array.from({ length: 48 }, (_, i) => `id-gone-${i}`)];
    const names = (await listProjectContainers(engine, 'p', { ids })).map((c) => c.Names[0]);
    expect(names).toEqual(['/p-db-1', '/p-web-2']);
    expect(queries).toEqual([{ all: true, filters: { label: [`${Label.project}=p`] } }]);
  });

  it('the first observation of many volumes lists them all instead of one name filter each, and keeps exact names', async () => {
    const volumes = Array.from({ length: 50 }, (_, i) => volume('p', `v${i}`));
    const queries: (EngineFilters | undefined)[] = [];
    const engine: Engine = {
      ...fakeEngine(),
      listContainers: () => Promise.resolve([]),
      listVolumes: (filters) => {
        queries.push(filters);
        // The label finds nothing (nothing created yet); the full list has one of them and a look-alike.
        return Promise.resolve(
          filters
            ? []
            : [
                { Name: 'p_v7', Driver: 'local', Labels: null },
                { Name: 'p_v7x', Driver: 'local', Labels: null },
              ],
        );
      },
    };
    const observed = await observe(engine, model('p', [], { volumes }));
    expect(queries).toEqual([{ label: [`${Label.project}=p`] }, undefined]);
    expect(observed.volumes.map((v) => v.name)).toEqual(['p_v7']);
  });

  it('several services are filtered here (the engine cannot OR label filters)', async () => {
    const { engine, queries } = listing(containers);
    expect((await listProjectContainers(engine, 'p', { services: ['db', 'web'] })).length).toBe(3);
    expect(queries[0]?.filters).toEqual({ label: [`${Label.project}=p`] });
  });

  it("a service's running replicas are its containers the engine lists as running, by name", async () => {
    const { engine, queries } = listing([listed('p-web-2', p('web', 2)), listed('p-web-1', p('web', 1))]);
    expect(await listRunningReplicas(engine, 'p', 'web')).toEqual([
      { id: 'id-p-web-1', name: 'p-web-1' },
      { id: 'id-p-web-2', name: 'p-web-2' },
    ]);
    expect(queries[0]?.all).toBe(false);
  });

  it('ls sees every project with the states of its containers', async () => {
    const { engine } = listing([
      ...containers,
      listed('q-a-1', { [Label.project]: 'q', [Label.configFiles]: '/q/stack.yaml' }, 'exited'),
    ]);
    const projects = await listProjects(engine);
    expect(projects.map((x) => [x.name, Object.fromEntries(x.states), x.configFiles])).toEqual([
      ['p', { running: 3, exited: 1 }, ''],
      ['q', { exited: 1 }, '/q/stack.yaml'],
    ]);
  });
});

describe('exec', () => {
  it('runs in the running replica with the asked number, and names how to start one when there is none', async () => {
    const { engine } = listing(containers);
    expect(await findRunningReplica(engine, 'p', 'web', 2)).toBe('id-p-web-2');
    await expect(findRunningReplica(engine, 'p', 'web', 1)).rejects.toThrow(
      'service "web" has no running container #1; start it with `stack up -d web`',
    );
  });

  it('a detached exec attaches nothing', () => {
    const body = execBody({
      service: 'web',
      index: 1,
      command: ['ls'],
      tty: false,
      interactive: true,
      detach: true,
      env: ['A=1'],
      privileged: false,
      user: 'root',
    });
    expect(body).toMatchObject({
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Cmd: ['ls'],
      Env: ['A=1'],
      User: 'root',
    });
  });
});

describe('sameListing: whether a plan made from one observation still stands', () => {
  const state = (status: string) =>
    observe(listing([listed('p-web-1', p('web', 1)), { ...listed('p-db-1', p('db', 1)), Status: status }]).engine, {
      project: 'p',
    });

  it('the same listing twice is the same, inspect detail aside', async () => {
    const first = await state('Up 2 seconds (healthy)');
    const detailed = {
      ...first,
      containers: first.containers.map((c) => ({ ...c, detail: { config: {}, hostConfig: {} } })),
    };
    expect(sameListing(detailed, await state('Up 3 seconds (healthy)'))).toBe(true);
  });

  it('a dependency whose health changed, or a container gone, is not the same', async () => {
    const first = await state('Up 2 seconds (healthy)');
    expect(sameListing(first, await state('Up 2 seconds (unhealthy)'))).toBe(false);
    expect(sameListing(first, { ...first, containers: first.containers.slice(1) })).toBe(false);
  });
});

describe('observeImages', () => {
  const engineListing = () => {
    const queries: (EngineFilters | undefined)[] = [];
    const engine: Engine = {
      ...fakeEngine(),
      listImages: async (filters) => (
        queries.push(filters),
        [{ Id: 'sha256:1', RepoTags: ['app0:latest', 'unrelated:1'], RepoDigests: null, Created: 0 }]
      ),
    };
    return { engine, queries };
  };

  it('a few images are filtered by the engine; many are listed and matched here, with the same result', async () => {
    const few = engineListing();
    await observeImages(few.engine, model('p', [service('a', { image: 'app0' })]));
    expect(few.queries).toEqual([{ reference: ['app0', 'app0@*'] }]);

    const many = engineListing();
    const services = Array.from({ length: 25 }, (_, i) => service(`s${i}`, { image: `app${i}` }));
    const images = await observeImages(many.engine, model('p', services));
    expect(many.queries).toEqual([undefined]);
    expect(images).toEqual([{ id: 'sha256:1', repoTags: ['app0:latest'], repoDigests: [], created: 0 }]);
  });
});
