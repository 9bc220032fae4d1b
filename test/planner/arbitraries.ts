/**
 * fast-check generators for planner property tests: small but messy models and observed
 * states (duplicates, leftovers, wrong names, orphans, one-offs, foreign containers, drifted
 * and foreign networks, stale endpoints, missing images), plus UpOptions.
 */
import fc from 'fast-check';
import { Label } from '../../src/labels.js';
import type { MountSpec, ServiceNetworkSpec, ServiceSpec, StackModel } from '../../src/model.js';
import { desiredContainer, desiredNetwork, desiredVolume } from '../../src/planner/desired.js';
import { imageRef, resolveImage } from '../../src/planner/images.js';
import { wantedNetworks } from '../../src/planner/up-state.js';
import type {
  ContainerStateName,
  ObservedContainer,
  ObservedImage,
  ObservedNetwork,
  ObservedState,
  ObservedVolume,
  UpOptions,
} from '../../src/planner/types.js';
import { buildSpec, model, network, service, volume } from './helpers.js';
import { fetchedImageId } from './simulate.js';

export const PROJECT = 'p';
const NAMES = ['a', 'b', 'c', 'd'] as const;
const netSpec: ServiceNetworkSpec = { aliases: [], linkLocalIps: [] };

const serviceArb = (name: string, earlier: readonly string[]): fc.Arbitrary<ServiceSpec> =>
  fc
    .record({
      image: fc.constantFrom('img1', 'img2', 'img3:v2', undefined),
      replicas: fc.integer({ min: 1, max: 3 }),
      env: fc.dictionary(fc.constantFrom('A', 'B', 'DB_URL'), fc.constantFrom('1', '2', 'x')),
      deps: fc.subarray([...earlier]),
      condition: fc.constantFrom('service_started', 'service_healthy', 'service_completed_successfully'),
      nets: fc.subarray(['default', 'back'], { minLength: 1 }),
      mode: fc.constantFrom(undefined, undefined, undefined, 'host', 'service'),
      named: fc.boolean(),
      anon: fc.boolean(),
      fixedName: fc.boolean(),
    })
    .map((r) => {
      const volumes: MountSpec[] = [];
      if (r.named) volumes.push({ type: 'volume', source: 'data', target: '/data', readOnly: false });
      if (r.anon) volumes.push({ type: 'volume', target: '/scratch', readOnly: false });
      const modeTarget = earlier[0];
      const networkMode =
        r.mode === 'host'
          ? 'host'
          : r.mode === 'service' && modeTarget !== undefined
            ? `service:${modeTarget}`
            : undefined;
      const replicas = r.fixedName || networkMode !== undefined ? 1 : r.replicas;
      return service(name, {
        ...(r.image === undefined
          ? {
              image: undefined as never,
              build: buildSpec(`/src/${name}`),
            }
          : { image: r.image }),
        replicas,
        environment: r.env,
        dependsOn: Object.fromEntries(
          r.deps.map((d) => [d, { condition: r.condition, required: true, restart: false }]),
        ),
        networks: networkMode === undefined ? Object.fromEntries(r.nets.map((n) => [n, netSpec])) : {},
        ...(networkMode === undefined ? {} : { networkMode }),
        volumes,
        ...(r.fixedName ? { containerName: `fixed-${name}` } : {}),
      });
    });

/** A model of 1-4 services with acyclic dependencies, optional external network/volume. */
export const modelArb: fc.Arbitrary<StackModel> = fc
  .record({
    count: fc.integer({ min: 1, max: 4 }),
    externalNet: fc.boolean(),
    externalVol: fc.boolean(),
    disabled: fc.boolean(),
  })
  .chain(({ count, externalNet, externalVol, disabled }) => {
    const names = NAMES.slice(0, count);
    return fc.tuple(...names.map((n, i) => serviceArb(n, names.slice(0, i)))).map((services) => {
      const withExternal = externalNet
        ? services.map((s, i) =>
            i === 0 && s.networkMode === undefined ? { ...s, networks: { ...s.networks, shared: netSpec } } : s,
          )
        : services;
      return model(PROJECT, withExternal, {
        networks: externalNet ? [network(PROJECT, 'shared', { name: 'shared', external: true })] : [],
        volumes: [volume(PROJECT, 'data', externalVol ? { name: 'ext-data', external: true } : {})],
        disabledServices: disabled ? ['z'] : [],
      });
    });
  });

const hex12 = (i: number): string => String(i).padStart(4, '0');
const idOf = (i: number): string => `${hex12(i)}${'e'.repeat(60)}`;

interface ContainerSeed {
  service: string;
  number: string;
  hash: 'right' | 'wrong' | 'v9' | 'none';
  state: ContainerStateName;
  exitCode: number;
  name: 'canonical' | 'random' | 'temp';
  replaces: 'none' | 'other' | 'missing';
  foreign: boolean;
  netIds: 'right' | 'stale' | 'none';
}

const seedArb = (m: StackModel): fc.Arbitrary<ContainerSeed> =>
  fc.record({
    service: fc.constantFrom(...Object.keys(m.services), 'gone', 'z'),
    number: fc.constantFrom('1', '1', '2', '3', '4', 'x'),
    hash: fc.constantFrom('right', 'right', 'right', 'wrong', 'v9', 'none'),
    state: fc.constantFrom<ContainerStateName>(
      'running',
      'running',
      'exited',
      'created',
      'dead',
      'paused',
      'restarting',
    ),
    exitCode: fc.constantFrom(0, 1),
    name: fc.constantFrom('canonical', 'canonical', 'random', 'temp'),
    replaces: fc.constantFrom('none', 'none', 'other', 'missing'),
    foreign: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    netIds: fc.constantFrom('right', 'right', 'stale', 'none'),
  });

function buildObserved(
  m: StackModel,
  seeds: readonly ContainerSeed[],
  imgMask: readonly boolean[],
  netMode: readonly number[],
  oneoffs: readonly boolean[],
): ObservedState {
  const refs = [...new Set(Object.values(m.services).map((s) => imageRef(PROJECT, s)))].sort();
  const images: ObservedImage[] = refs
    .filter((_, i) => imgMask[i % imgMask.length] ?? true)
    .map((ref) => ({
      id: `sha256:${ref.replace(/[^a-z0-9]/g, '')}`,
      repoTags: [ref.includes(':') ? ref : `${ref}:latest`],
      repoDigests: [],
      created: 1,
    }));
  const networks: ObservedNetwork[] = [
    { id: 'foreign-net', name: 'other_default', labels: { [Label.project]: 'other' }, driver: 'bridge' },
  ];
  Object.values(m.networks).forEach((spec, i) => {
    const d = desiredNetwork(m, spec);
    if (spec.external) networks.push({ id: `ext-${spec.name}`, name: spec.name, labels: {}, driver: 'bridge' });
    else {
      const mode = netMode[i % netMode.length] ?? 0;
      const hash = mode === 1 ? `v1:${'9'.repeat(64)}` : d.hash;
      if (mode !== 2)
        networks.push({
          id: `net-${spec.key}`,
          name: spec.name,
          labels:
            mode === 3
              ? { [Label.project]: PROJECT }
              : { ...(d.body['Labels'] as Record<string, string>), [Label.resourceHash]: hash },
          driver: 'bridge',
        });
    }
  });
  const volumes: ObservedVolume[] = [{ name: 'other_data', labels: { [Label.project]: 'other' }, driver: 'local' }];
  for (const spec of Object.values(m.volumes)) {
    const d = desiredVolume(m, spec);
    if (spec.external) volumes.push({ name: spec.name, labels: {}, driver: 'local' });
    else if ((netMode[0] ?? 0) !== 2)
      volumes.push({
        name: spec.name,
        labels: {
          ...(d.body['Labels'] as Record<string, string>),
          ...((netMode[0] ?? 0) === 1 ? { [Label.resourceHash]: `v1:${'8'.repeat(64)}` } : {}),
        },
        driver: 'local',
      });
  }
  const containers: ObservedContainer[] = [];
  const names = new Set<string>();
  seeds.forEach((seed, i) => {
    const spec = m.services[seed.service];
    const n = Number(seed.number) || 1;
    const d = spec ? desiredContainer(m, spec, n, resolveImage(imageRef(PROJECT, spec), images)?.id) : undefined;
    const canonical = d?.name ?? `${PROJECT}-${seed.service}-${seed.number}`;
    const project = seed.foreign ? 'other' : PROJECT;
    // `run` containers are named <project>-<service>-run-<id> and never hold a replica's name.
    const oneoff = oneoffs[i % oneoffs.length] ?? false;
    const name = seed.foreign
      ? `other-${i}`
      : oneoff
        ? `${PROJECT}-${seed.service}-run-${i}`
        : seed.name === 'canonical'
          ? canonical
          : seed.name === 'temp'
            ? `${hex12(i + 50)}eeeeeeee_${canonical}`
            : `rnd-${i}`;
    if (names.has(name)) return;
    names.add(name);
    const labels: Record<string, string> = {
      ...((d?.body['Labels'] as Record<string, string> | undefined) ?? {}),
      [Label.project]: project,
      [Label.service]: seed.service,
      [Label.containerNumber]: seed.number,
    };
    if (seed.hash === 'wrong') labels[Label.configHash] = `v1:${'7'.repeat(64)}`;
    if (seed.hash === 'v9') labels[Label.configHash] = `v9:${'7'.repeat(64)}`;
    if (seed.hash === 'none' || !d) delete labels[Label.configHash];
    if (seed.replaces === 'other' && i > 0) labels[Label.replaces] = idOf(i - 1);
    if (seed.replaces === 'missing') labels[Label.replaces] = idOf(900 + i);
    if (oneoff) labels[Label.oneoff] = 'True';
    const attached: Record<string, { networkId: string }> = {};
    if (d && seed.netIds !== 'none')
      for (const net of networks)
        if (wantedNetworks(d).includes(net.name))
          attached[net.name] = { networkId: seed.netIds === 'right' ? net.id : 'stale' };
    const img = d ? resolveImage(d.imageRef, images) : undefined;
    containers.push({
      id: idOf(i),
      name,
      labels,
      state: seed.state,
      ...(seed.state === 'exited' ? { exitCode: seed.exitCode } : {}),
      image: d?.imageRef ?? 'gone:latest',
      // An image not observed was deleted under its container; the pull brings the same one back.
      imageId: img?.id ?? (d ? fetchedImageId(d.imageRef) : 'sha256:old'),
      networks: attached,
      mounts: (spec?.volumes ?? []).map((v, j) =>
        v.source
          ? { type: 'volume', name: m.volumes[v.source]?.name ?? v.source, source: '/x', destination: v.target }
          : { type: 'volume', name: `anon${i}x${j}`, source: '/y', destination: v.target },
      ),
      created: i,
    });
  });
  return { project: PROJECT, containers, networks, volumes, images };
}

/** A model and a messy observed state for it. */
export const scenarioArb: fc.Arbitrary<{ model: StackModel; observed: ObservedState }> = modelArb.chain((m) =>
  fc
    .record({
      seeds: fc.array(seedArb(m), { maxLength: 8 }),
      imgMask: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      netMode: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      oneoffs: fc.array(
        fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ seeds, imgMask, netMode, oneoffs }) => ({
      model: m,
      observed: buildObserved(m, seeds, imgMask, netMode, oneoffs),
    })),
);

/** UpOptions as the CLI could pass them (forceRecreate and noRecreate never together). */
export const upOptionsArb = (m: StackModel): fc.Arbitrary<UpOptions> =>
  fc
    .record(
      {
        services: fc.subarray(Object.keys(m.services), { minLength: 1 }),
        recreate: fc.constantFrom('force', 'no', 'default', 'default'),
        noDeps: fc.boolean(),
        removeOrphans: fc.boolean(),
        renewAnonVolumes: fc.boolean(),
        scale: fc.dictionary(fc.constantFrom(...Object.keys(m.services)), fc.integer({ min: 0, max: 3 })),
        allowDestructive: fc.boolean(),
        noStart: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .map((r) => {
      // container_name and network_mode services stay single (the loader rejects scaling them).
      const scale = Object.fromEntries(
        Object.entries(r.scale ?? {}).filter(
          ([s]) => m.services[s]!.containerName === undefined && m.services[s]!.networkMode === undefined,
        ),
      );
      return {
        ...(r.services ? { services: r.services } : {}),
        ...(r.recreate === 'force' ? { forceRecreate: true } : r.recreate === 'no' ? { noRecreate: true } : {}),
        ...(r.noDeps !== undefined ? { noDeps: r.noDeps } : {}),
        ...(r.removeOrphans !== undefined ? { removeOrphans: r.removeOrphans } : {}),
        ...(r.renewAnonVolumes !== undefined ? { renewAnonVolumes: r.renewAnonVolumes } : {}),
        ...(Object.keys(scale).length > 0 ? { scale } : {}),
        ...(r.allowDestructive !== undefined ? { allowDestructive: r.allowDestructive } : {}),
        ...(r.noStart !== undefined ? { noStart: r.noStart } : {}),
      };
    });
