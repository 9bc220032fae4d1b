// Compose's command surface against stack's: every command and flag of Docker Compose's CLI
// (test/data/compose-reference.json, generated from docker/compose's docs/reference by
// scripts/compose-reference.mjs) is either implemented by stack's commander program or listed,
// with its reason, in docs/differences.md ("Commands and flags Compose has that stack does not").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findCommand, readSurface } from './command-surface.js';

interface ReferenceFlag {
  readonly flag: string;
  readonly short?: string;
}
interface Reference {
  readonly source: { readonly commit: string; readonly describe: string };
  readonly commands: Readonly<Record<string, readonly ReferenceFlag[]>>;
}

const root = new URL('../../', import.meta.url);
const reference = JSON.parse(readFileSync(new URL('test/data/compose-reference.json', root), 'utf8')) as Reference;

/** The first cells of the table under "## Commands and flags Compose has that stack does not". */
function listedDifferences(markdown: string): string[] {
  const start = markdown.indexOf('## Commands and flags Compose has that stack does not');
  if (start < 0) return [];
  const section = markdown.slice(start).split(/\n## /)[0]!;
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

/** What stack lacks of Compose's surface: `cmd` (a whole command), `cmd --flag`, `cmd -s` (a short form). */
async function gaps(): Promise<{ gap: string; command: string }[]> {
  const surface = await readSurface();
  const found: { gap: string; command: string }[] = [];
  for (const [path, flags] of Object.entries(reference.commands)) {
    const command = findCommand(surface, path);
    if (!command) {
      found.push({ gap: path, command: path });
      continue;
    }
    const name = command.path;
    for (const { flag, short } of flags) {
      if (!command.longs.has(flag)) found.push({ gap: `${name} ${flag}`.trim(), command: name });
      else if (short !== undefined && command.shortOf.get(flag) !== short)
        found.push({ gap: `${name} ${short}`.trim(), command: name });
    }
  }
  return found;
}

/** A listed command covers its subcommands and flags. */
function covered(gap: { gap: string; command: string }, listed: ReadonlySet<string>): boolean {
  if (listed.has(gap.gap)) return true;
  const parts = gap.command.split(' ');
  return parts.some((_, i) => listed.has(parts.slice(0, i + 1).join(' ')));
}

describe(`Compose's commands and flags (${reference.source.describe}, ${reference.source.commit.slice(0, 12)})`, () => {
  it('the reference names the Compose commit it came from and holds the everyday commands', () => {
    expect(reference.source.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const command of ['up', 'down', 'run', 'exec', 'attach', 'cp', 'config', 'logs'])
      expect(Object.keys(reference.commands)).toContain(command);
  });

  it('every command and flag is implemented by stack or listed as a difference with its reason', async () => {
    const listed = new Set(listedDifferences(readFileSync(new URL('docs/differences.md', root), 'utf8')));
    const missing = (await gaps()).filter((g) => !covered(g, listed)).map((g) => g.gap);
    expect(missing, 'implement these, or list them in docs/differences.md with the reason').toEqual([]);
  });

  it('every listed difference is still a gap (a row for a flag stack now has is stale)', async () => {
    const listed = listedDifferences(readFileSync(new URL('docs/differences.md', root), 'utf8'));
    expect(listed.length).toBeGreaterThan(0);
    const open = new Set((await gaps()).map((g) => g.gap));
    const commands = new Set((await gaps()).map((g) => g.command));
    const stale = listed.filter((entry) => !open.has(entry) && !commands.has(entry));
    expect(stale, 'these are implemented now: remove their rows').toEqual([]);
  });
});
