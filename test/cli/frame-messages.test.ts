// What the frame prints for usage errors and when it colours (issue 17's message list).
import { describe, expect, it } from 'vitest';
import { colorAllowed } from '../../src/cli/main.js';
import { runStack } from '../support/stack-cli.js';

describe('frame messages', () => {
  it("usage errors are in stack's format (error[USAGE] …), exit 2", async () => {
    const option = await runStack(['ps', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^error\[USAGE\] unknown option '--bogus'$/m);
    const command = await runStack(['nosuchcmd']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/^error\[USAGE\] unknown command 'nosuchcmd'$/m);
  });

  it('CI (set, not "false") turns colour off, as the README says', () => {
    expect(colorAllowed({}, true)).toBe(true);
    expect(colorAllowed({ CI: 'true' }, true)).toBe(false);
    expect(colorAllowed({ CI: '1' }, true)).toBe(false);
    expect(colorAllowed({ CI: 'false' }, true)).toBe(true);
  });
});
