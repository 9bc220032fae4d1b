import { describe, expect, it } from 'vitest';
import { parseStackFile } from '../../src/loader/parse.js';
import { findUnsupportedKeys, IMPLEMENTED_KEYS } from '../../src/loader/unsupported.js';
import { validateRaw } from '../../src/loader/validate.js';
import { getValidator } from '../../src/loader/validator.js';

function check(source: string) {
  const parsed = parseStackFile('/p/stack.yaml', source).value!;
  const diagnostics = validateRaw(parsed.data, parsed.locate, parsed.file);
  return {
    data: parsed.data,
    found: diagnostics.map((d) => `${d.severity} ${d.code} ${d.location?.line}:${d.location?.col}`),
    diagnostics,
  };
}

describe('validateRaw', () => {
  it("lists of mappings under uniqueItems are compared without crashing (the loader's objects have no prototype)", () => {
    // Found by the loader fuzz: ajv's own deep-equal called valueOf() on them and threw a TypeError.
    const { found } = check('{"services": {"web": {"depends_on": [{"image": false}, {"image": "${X}"}]}}}\n');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.startsWith('error SCHEMA_'))).toBe(true);
  });
  it('a valid file has no diagnostics', () => {
    expect(check('services:\n  web:\n    image: x\n    ports: ["80:80"]\n').found).toEqual([]);
  });
  it('an unknown key is pointed at the key, with a did-you-mean hint', () => {
    const { found, diagnostics } = check('services:\n  web:\n    image: x\n    enviroment: {}\n');
    expect(found).toEqual(['error SCHEMA_UNKNOWN_KEY 4:5']);
    expect(diagnostics[0]!.hint).toBe('did you mean "environment"?');
  });
  it('a missing key is pointed at its parent mapping', () => {
    expect(check('services:\n  web:\n    image: x\n    volumes:\n      - source: a\n').found).toEqual([
      'error SCHEMA_MISSING_KEY 5:9',
      'error SCHEMA_MISSING_KEY 5:9',
    ]);
  });
  it('anyOf noise is dropped: a bad restart value gives one SCHEMA_ENUM listing the allowed values', () => {
    const { found, diagnostics } = check('services:\n  web:\n    image: x\n    restart: alway\n');
    expect(found).toEqual(['error SCHEMA_ENUM 4:14']);
    expect(diagnostics[0]!.hint).toContain('did you mean "always"?');
  });
  it.each([
    ['a list', 'services:\n  web:\n    image: x\n    ports: "80"\n', '4:12', /list/],
    ['a mapping', 'services:\n  web:\n    image: x\n    healthcheck: yes\n', '4:18', /mapping/],
    ['a string', 'services:\n  web:\n    image: [x]\n', '3:12', /string/],
  ])('a type error has a hint saying how to write %s', (_, source, at, word) => {
    const { found, diagnostics } = check(source);
    expect(found).toEqual([`error SCHEMA_TYPE ${at}`]);
    expect(diagnostics[0]!.hint).toMatch(word);
  });
  it('type errors speak YAML: a list, not a string', () => {
    const { diagnostics } = check('services:\n  web:\n    image: x\n    ports: "80"\n');
    expect(diagnostics[0]!.code).toBe('SCHEMA_TYPE');
    expect(diagnostics[0]!.message).toContain('must be a list, not a string');
  });
  it('yes/no/on/off in boolean fields are coerced in place with a warning', () => {
    const { data, found } = check(
      'services:\n  web:\n    image: x\n    tty: yes\n    privileged: Off\n    init: "true"\n',
    );
    const web = (data['services'] as Record<string, Record<string, unknown>>)['web']!;
    expect(web).toMatchObject({ tty: true, privileged: false, init: true });
    // "true" can only come from interpolation: coerced silently.
    expect(found).toEqual(['warning BOOLEAN_COERCED 4:10', 'warning BOOLEAN_COERCED 5:17']);
  });
  it('keys stack does not implement yet are accepted with an UNSUPPORTED_KEY warning naming them', () => {
    const { found, diagnostics } = check(
      'version: "3.9"\nservices:\n  web:\n    image: x\n    external_links: [db]\n    x-note: fine\n',
    );
    expect(found).toEqual(['warning UNSUPPORTED_KEY 1:1', 'warning UNSUPPORTED_KEY 5:5']);
    expect(diagnostics[1]!.message).toContain('services.web.external_links');
  });
  it('nested places are matched by shape, whatever the service is called', () => {
    // A service named like a service key ("build") is still a service; `deploy.mode` is not
    // implemented, the bind, network and deploy keys next to it are.
    const yaml =
      'services:\n  build:\n    image: x\n    deploy: {replicas: 1, mode: global}\n    volumes: [{type: bind, source: ., target: /x, bind: {propagation: rprivate}}]\n    networks: {front: {aliases: [a]}}\nnetworks:\n  front: {}\n';
    const { found, diagnostics } = check(yaml);
    expect(found).toEqual(['warning UNSUPPORTED_KEY 4:27']);
    expect(diagnostics[0]!.message).toContain('services.build.deploy.mode');
  });
  it('x- extensions are allowed at the top level and in services', () => {
    expect(check('x-anchors: {a: 1}\nservices:\n  web:\n    image: x\n    x-meta: {b: 2}\n').found).toEqual([]);
  });
});

describe('schema coverage', () => {
  const service = getValidator().index.props.get('services')!.any!;
  it('the schema knows every key of a Compose service', () => {
    const keys =
      `annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy develop device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint env_file environment expose extends external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels label_file links logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports post_start pre_start pre_stop privileged profiles provider pull_policy pull_refresh_after read_only restart runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir`.split(
        ' ',
      );
    expect([...service.props.keys()].sort()).toEqual(keys.sort());
  });
  it('every implemented service key is a key the schema knows', () => {
    for (const key of IMPLEMENTED_KEYS['services.*']!) expect(service.props.has(key), key).toBe(true);
  });
  it('unsupported keys are found by walking the data', () => {
    const found = findUnsupportedKeys(
      { services: { a: { image: 'x', gpus: 'all', deploy: { placement: {} } } } },
      getValidator().index,
    );
    expect(found.map((f) => f.path.join('.'))).toEqual(['services.a.gpus', 'services.a.deploy.placement']);
  });
});
