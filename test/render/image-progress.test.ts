import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createImageProgress } from '../../src/render/image-progress.js';

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { out, text: () => text };
}

const summary = (layersDone: number, current: number) => ({ layers: 2, layersDone, current, total: 2000, status: '' });

describe('image progress', () => {
  it('plain mode prints one line per finished layer, never per byte', () => {
    const s = sink();
    const p = createImageProgress({ mode: 'plain', out: s.out });
    p.onEvent({ type: 'pull-start', image: 'x:1', services: ['web'] });
    p.onEvent({ type: 'pull-progress', image: 'x:1', summary: summary(0, 10) });
    p.onEvent({ type: 'pull-progress', image: 'x:1', summary: summary(0, 900) });
    p.onEvent({ type: 'pull-progress', image: 'x:1', summary: summary(1, 1000) });
    p.onEvent({ type: 'pull-done', image: 'x:1', updated: true, digest: 'sha256:ab' });
    p.end();
    expect(s.text()).toBe('Pulling x:1\nPulling x:1: 1/2 layers 1.0 kB/2.0 kB\nPulled x:1 sha256:ab\n');
  });

  it('tty mode redraws one line per image in place, build output scrolling above', () => {
    const s = sink();
    let clock = 0;
    const p = createImageProgress({ mode: 'tty', out: s.out, now: () => clock, throttleMs: 100 });
    p.onEvent({ type: 'build-start', image: 'demo-web', services: ['web'] });
    clock = 500;
    p.onEvent({ type: 'build-line', image: 'demo-web', line: { kind: 'step', text: 'Step 1/1 : FROM x' } });
    p.onEvent({ type: 'build-done', image: 'demo-web', imageId: 'sha256:1', tags: ['demo-web'] });
    p.end();
    p.end();
    const text = s.text();
    expect(text).toContain('demo-web | Step 1/1 : FROM x\n');
    expect(text).toContain('\u001b[1A\u001b[J');
    expect(text.endsWith('✔ Built demo-web\n')).toBe(true);
  });

  it('json mode writes each event as one NDJSON line; quiet writes nothing', () => {
    const s = sink();
    createImageProgress({ mode: 'json', out: s.out }).onEvent({ type: 'warning', message: 'm' });
    expect(JSON.parse(s.text())).toEqual({ v: 1, type: 'warning', message: 'm' });
    const q = sink();
    createImageProgress({ mode: 'quiet', out: q.out }).onEvent({ type: 'warning', message: 'm' });
    expect(q.text()).toBe('');
  });
});
