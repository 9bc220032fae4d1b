// Watch mode from the library (`watch` of src/index.ts), no CLI: a stack brought up with `up`,
// then an edit of its file reloads it and recreates the changed service with the new value;
// aborting the signal ends the session and the stack stays up until `down`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { connectEngine, down, loadStack, up, watch } from '../../src/index.js';
import type { ReloadReport } from '../../src/index.js';
import { Label } from '../../src/labels.js';
import { TEST_IMAGE, describeWithEngine, uniqueName } from '../support/engine.js';
import { eventually } from '../support/eventually.js';

const describe = await describeWithEngine();

describe('watch through the library API (real engine)', () => {
  it('an edit of the stack file recreates the changed service; aborting the signal stops watching', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-libwatch-'));
    const project = uniqueName('libwatch');
    const file = (value: string) =>
      `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    init: true\n    environment: { VALUE: "${value}" }\n`;
    writeFileSync(join(dir, 'stack.yaml'), file('one'));
    const load = () => loadStack({ cwd: dir, env: {}, projectName: project });
    const engine = await connectEngine({ env: process.env });
    const controller = new AbortController();
    const hooks = { signal: controller.signal, env: process.env };
    const envOfWeb = async (): Promise<string[]> => {
      const [c] = await engine.listContainers({ filters: { label: [`${Label.project}=${project}`] } });
      return c ? (((await engine.inspectContainer(c.Id)).Config['Env'] as string[] | undefined) ?? []) : [];
    };
    try {
      const model = await load();
      await up(engine, model, { plan: {} }, hooks);
      expect(await envOfWeb()).toContain('VALUE=one');
      const reports: ReloadReport[] = [];
      const errors: unknown[] = [];
      let started = false;
      const session = watch(engine, model, {
        signal: controller.signal,
        load,
        onStart: () => (started = true),
        onReload: (r) => reports.push(r),
        onError: (e) => errors.push(e),
      });
      expect(await eventually(async () => started, 20_000)).toBe(true);
      writeFileSync(join(dir, 'stack.yaml'), file('two'));
      expect(await eventually(async () => reports.some((r) => r.ok), 60_000)).toBe(true);
      expect(errors).toEqual([]);
      expect(reports[0]!.changed).toEqual(['stack.yaml']);
      expect(await envOfWeb()).toContain('VALUE=two');
      controller.abort();
      expect(await session).toEqual({ stopped: 'signal' });
      expect(await envOfWeb()).toContain('VALUE=two');
    } finally {
      await down(engine, await load(), {}, { signal: AbortSignal.timeout(60_000), env: process.env });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
