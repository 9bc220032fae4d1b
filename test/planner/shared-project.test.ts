import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { planDown, planUp } from '../../src/planner/index.js';
import type { ObservedState } from '../../src/planner/types.js';
import { container, emptyObserved, model, service } from './helpers.js';

// Issue 20, item 2: `rs.dup` and `rsdup` both make project `rsdup`; `down -v` in one removed
// the other's volume without a word.
describe('two directories making one project', () => {
  const m = model('rsdup', [service('web')]);
  const fromOther: ObservedState = {
    ...emptyObserved('rsdup'),
    containers: [container('rsdup', 'web', 1, { extraLabels: { [Label.workingDir]: '/home/me/rs.dup' } })],
  };

  it("up and down note both directories when the project's containers were made from another one", () => {
    for (const plan of [planUp(m, fromOther), planDown(m, fromOther)]) {
      const notes = plan.notes.filter((n) => n.includes('/home/me/rs.dup'));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain(m.workingDir);
      expect(notes[0]).toContain('rsdup-web-1');
    }
  });

  it('says nothing when the containers were made from this directory or carry no directory', () => {
    const same: ObservedState = {
      ...fromOther,
      containers: [container('rsdup', 'web', 1, { extraLabels: { [Label.workingDir]: m.workingDir } })],
    };
    const unlabelled: ObservedState = { ...fromOther, containers: [container('rsdup', 'web', 1)] };
    for (const o of [same, unlabelled]) {
      expect(planUp(m, o).notes.filter((n) => n.includes('another directory'))).toEqual([]);
      expect(planDown(m, o).notes.filter((n) => n.includes('another directory'))).toEqual([]);
    }
  });
});
