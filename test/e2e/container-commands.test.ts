/**
 * Compose's per-container commands against the real engine: kill, pause/unpause, rm, port,
 * top, images, wait. Assertions on engine state and on the output and exit codes a script
 * relies on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, docker, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('e2e-ports');
const p = projectName('ctr');
const env = { WEB_PORT: '18193' };
const stack = (...args: string[]) => runCli(['-p', p, ...args], { cwd, env });
const state = (service: string): string | undefined => containers(p).find((c) => c.service === service)?.state;

describe('container commands', () => {
  beforeAll(async () => {
    const up = await stack('up', '-d');
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(() => cleanup(p));

  it("ps: Compose's table, --format templates, json with Publishers, --status/--filter, --no-trunc", async () => {
    const table = await stack('ps');
    expect(table.stdout).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/m);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${p}-web-1\\s+stack-test/busybox:latest\\s+"httpd -f -p 8080"\\s+web\\s+.* ago\\s+Up .*127\\.0\\.0\\.1:18193->8080/tcp$`,
        'm',
      ),
    );
    expect((await stack('ps', '--format', '{{.Name}}:{{.Service}}:{{.State}}')).stdout).toBe(
      `${p}-other-1:other:running\n${p}-web-1:web:running\n`,
    );
    const custom = await stack('ps', '--format', 'table {{.Service}}\t{{.Label "com.docker.compose.project"}}');
    expect(custom.stdout).toMatch(new RegExp(`^SERVICE\\s+LABEL\\nother\\s+${p}\\nweb\\s+${p}\\n$`));
    const rows = (await stack('ps', '--format', 'json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const web = rows.find((r) => r['Service'] === 'web')!;
    expect(web['Publishers']).toEqual([{ URL: '127.0.0.1', TargetPort: 8080, PublishedPort: 18193, Protocol: 'tcp' }]);
    expect(web['Command']).toBe('"httpd -f -p 8080"');
    expect(web['Labels']).toContain(`com.docker.compose.project=${p}`);
    expect(web['CreatedAt']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    expect(String(web['ID'])).toHaveLength(12);
    const full = JSON.parse((await stack('ps', '--format', 'json', '--no-trunc', 'web')).stdout) as { ID: string };
    expect(full.ID).toHaveLength(64);
    expect((await stack('ps', '--status', 'exited', '-q')).stdout).toBe('');
    expect((await stack('ps', '--filter', 'status=running', '--services')).stdout).toBe('other\nweb\n');
    expect((await stack('ps', '--filter', 'health=ok')).code).toBe(2);
    expect((await stack('ps', '--status', 'asleep')).code).toBe(2);
  });

  it('ls --filter name= selects projects by name or pattern; -q prints names; version --short prints the number', async () => {
    expect((await stack('ls', '-q', '--filter', `name=${p}`)).stdout).toBe(`${p}\n`);
    expect((await stack('ls', '-q', '--filter', `name=^${p.slice(0, -3)}`)).stdout).toContain(`${p}\n`);
    expect((await stack('ls', '-q', '--filter', 'name=^no-such-project-here$')).stdout).toBe('');
    expect((await stack('ls', '--filter', 'label=x')).code).toBe(2);
    const version = await stack('version', '--short');
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    // Compose's -f for --format.
    const json = await stack('version', '-f', 'json');
    expect((JSON.parse(json.stdout) as { version: string }).version).toBe(version.stdout.trim());
  });

  it("events --json reports the project's container events in Compose's shape; --since/--until bound the stream", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    expect((await stack('restart', 'other')).code).toBe(0);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const result = await stack('events', '--json', '--since', String(since), '--until', String(until));
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            time: string;
            type: string;
            service: string;
            id: string;
            action: string;
            attributes: Record<string, string>;
          },
      );
    const mine = events.filter((e) => e.service === 'other');
    expect(mine.map((e) => e.action)).toEqual(expect.arrayContaining(['kill', 'die', 'start']));
    for (const e of mine) {
      expect(e.type).toBe('container');
      expect(e.id).toMatch(/^[0-9a-f]{64}$/);
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(e.attributes['name']).toBe(`${p}-other-1`);
      expect(Object.keys(e.attributes).some((k) => k.startsWith('com.docker.compose.'))).toBe(false);
    }
    expect(events.every((e) => e.service === 'other' || e.service === 'web')).toBe(true);
  });

  it('cp copies a file and a directory into the container and back, through the archive API', async () => {
    const { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'stack-cp-'));
    try {
      writeFileSync(join(dir, 'note.txt'), 'hello cp\n');
      mkdirSync(join(dir, 'tree/sub'), { recursive: true });
      writeFileSync(join(dir, 'tree/sub/deep.txt'), 'deep\n');
      expect((await stack('cp', join(dir, 'note.txt'), 'web:/etc/')).code).toBe(0);
      expect((await stack('cp', join(dir, 'note.txt'), 'web:/etc/renamed.txt')).code).toBe(0);
      expect((await stack('cp', join(dir, 'tree'), 'web:/etc/copied')).code).toBe(0);
      expect(
        docker(['exec', `${p}-web-1`, 'cat', '/etc/note.txt', '/etc/renamed.txt', '/etc/copied/sub/deep.txt']),
      ).toBe('hello cp\nhello cp\ndeep');
      expect(docker(['exec', `${p}-web-1`, 'stat', '-c', '%u', '/etc/note.txt'])).toBe('0');
      const back = await stack('cp', 'web:/etc/copied', join(dir, 'back'));
      expect(back.code, back.stderr).toBe(0);
      expect(readFileSync(join(dir, 'back/sub/deep.txt'), 'utf8')).toBe('deep\n');
      expect((await stack('cp', 'web:/etc/note.txt', dir)).code).toBe(0);
      expect(readFileSync(join(dir, 'note.txt'), 'utf8')).toBe('hello cp\n');
      const missing = await stack('cp', 'web:/no/such/file', dir);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('/no/such/file');
      expect((await stack('cp', dir, join(dir, 'x'))).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cp - extracts a tar archive from stdin into a directory; cp SERVICE:SRC - writes one to stdout', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'stack-cp-tar-'));
    try {
      writeFileSync(join(dir, 'from-tar.txt'), 'tar on stdin\n');
      const tar = execFileSync('tar', ['--format=ustar', '-c', '-C', dir, 'from-tar.txt']).toString('latin1');
      const into = await runCli(['-p', p, 'cp', '-', 'web:/etc/'], { cwd, env, stdin: tar });
      expect(into.code, into.stderr).toBe(0);
      expect(docker(['exec', `${p}-web-1`, 'cat', '/etc/from-tar.txt'])).toBe('tar on stdin');
      // The destination must be a directory (the archive is extracted into it).
      const notDir = await runCli(['-p', p, 'cp', '-', 'web:/etc/from-tar.txt'], { cwd, env, stdin: tar });
      expect(notDir.code).toBe(1);
      expect(notDir.stderr).toContain('must be an existing directory');
      const out = await stack('cp', 'web:/etc/from-tar.txt', '-');
      expect(out.code, out.stderr).toBe(0);
      // A ustar header (the entry's name first), then the file's bytes in the next block.
      expect(out.stdout.slice(0, 'from-tar.txt'.length)).toBe('from-tar.txt');
      expect(out.stdout.slice(512, 512 + 13)).toBe('tar on stdin\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stats --no-stream prints one sample per running container and exits; --format json has docker stats' fields", async () => {
    const table = await stack('stats', '--no-stream');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/m,
    );
    expect(table.stdout).toMatch(
      new RegExp(`^[0-9a-f]{12}\\s+${p}-web-1\\s+\\d+\\.\\d\\d%\\s+\\S+ / \\S+\\s+\\d+\\.\\d\\d%.*\\s1$`, 'm'),
    );
    const json = JSON.parse((await stack('stats', '--no-stream', '--format', 'json', 'web')).stdout) as Record<
      string,
      string
    >;
    expect(Object.keys(json)).toEqual(['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDs']);
    expect(json['Name']).toBe(`${p}-web-1`);
  });

  it('Ctrl-C ends a read-only stream (events) with exit 130 and no word about in-flight actions', async () => {
    const { startCli } = await import('./helpers.js');
    const run = startCli(['-p', p, 'events'], { cwd, env });
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toContain('in-flight');
  });

  it('port prints the public address; an unpublished port exits 1 naming the ports that exist', async () => {
    const found = await stack('port', 'web', '8080');
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe('127.0.0.1:18193\n');
    const missing = await stack('port', 'web', '80');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no port 80/tcp for container ${p}-web-1: 8080/tcp`);
    expect((await stack('port', '--protocol', 'udp', 'web', '8080')).code).toBe(1);
    // A replica that does not exist is the project's state, not bad input: exit 1 too (Compose).
    const noReplica = await stack('port', '--index', '2', 'web', '8080');
    expect(noReplica.code).toBe(1);
    expect(noReplica.stderr).toContain('service "web" has no container number 2');
  });

  it("top lists each running container's processes under SERVICE and #", async () => {
    const top = await stack('top');
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^SERVICE\s+#\s+UID\s+PID/);
    expect(top.stdout).toMatch(/^web\s+1\s+.*httpd -f -p 8080$/m);
    expect(top.stdout).toMatch(/^other\s+1\s+.*sleep 3600$/m);
  });

  it("images lists each container's image; -q prints the unique IDs; --format json has Compose's fields", async () => {
    const id = docker(['inspect', '--format', '{{.Id}}', 'stack-test/busybox:latest']);
    const quiet = await stack('images', '-q');
    expect(quiet.stdout).toBe(id.replace('sha256:', '') + '\n');
    const table = await stack('images');
    expect(table.stdout).toMatch(new RegExp(`^${p}-web-1\\s+stack-test/busybox\\s+latest\\s+${id.slice(7, 19)}`, 'm'));
    const json = JSON.parse((await stack('images', '--format', 'json')).stdout) as {
      ID: string;
      ContainerName: string;
      Repository: string;
      Tag: string;
      Size: number;
    }[];
    expect(json.map((i) => [i.ContainerName, i.Repository, i.Tag, i.ID])).toEqual([
      [`${p}-other-1`, 'stack-test/busybox', 'latest', id],
      [`${p}-web-1`, 'stack-test/busybox', 'latest', id],
    ]);
    expect(json[0]!.Size).toBeGreaterThan(0);
  });

  it("pause and unpause change only the named service's container", async () => {
    expect((await stack('pause', 'other')).code).toBe(0);
    expect(state('other')).toBe('paused');
    expect(state('web')).toBe('running');
    expect((await stack('unpause')).code).toBe(0);
    expect(state('other')).toBe('running');
  });

  it('kill sends the signal (-s) and rm removes only stopped containers: refuses without -f when no one can answer', async () => {
    expect((await stack('kill', '-s', 'SIGKILL', 'other')).code).toBe(0);
    expect(state('other')).toBe('exited');
    const asked = await stack('rm');
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(`Going to remove ${p}-other-1`);
    expect(state('other')).toBe('exited');
    const removed = await stack('rm', '-f');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`Going to remove ${p}-other-1\n`);
    expect(containers(p).map((c) => c.service)).toEqual(['web']);
    const none = await stack('rm', '-f');
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('No stopped containers');
  });

  it('rm -s -f stops, then removes', async () => {
    const result = await stack('rm', '-s', '-f', 'web');
    expect(result.code, result.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
  });

  it("wait exits with the container's exit code once it stops", async () => {
    expect((await stack('up', '-d', 'other')).code).toBe(0);
    const waiting = runCli(['-p', p, 'wait', 'other'], { cwd, env });
    await new Promise((r) => setTimeout(r, 1500));
    docker(['kill', '-s', 'KILL', `${p}-other-1`]);
    const result = await waiting;
    expect(result.code).toBe(137);
    expect(result.stdout).toMatch(/^container "[0-9a-f]{64}" exited with status code 137$/m);
  });
});
