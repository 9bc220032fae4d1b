/**
 * scripts/setup.sh stops before touching anything when Node is too old, naming the version it
 * needs and the one it found (an old `node` is a stand-in script first on PATH).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('scripts/setup.sh', () => {
  it('refuses Node 18 with a message naming Node >= 20.19 and what it found, before installing anything', () => {
    const bin = mkdtempSync(join(tmpdir(), 'stack-setup-'));
    const node = join(bin, 'node');
    writeFileSync(node, '#!/bin/sh\n[ "$1" = "--version" ] && echo v18.19.0 && exit 0\nexit 1\n');
    chmodSync(node, 0o755);
    // apt-get, docker and npm are stand-ins that record a call: none may run.
    for (const tool of ['apt-get', 'docker', 'npm']) {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} was called" >&2\nexit 99\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const result = spawnSync('bash', [join(root, 'scripts/setup.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Node.js >= 20.19 is needed; found v18.19.0');
    expect(result.stderr).not.toContain('was called');
  });
});
