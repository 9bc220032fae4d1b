// The README's command reference and `stack --help` agree: every command of the program has a
// row, every row names a command, and every flag of a command is in its row (and every flag a
// row names is one the command has). Global options likewise with the global options table.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSurface } from './command-surface.js';
import type { CommandSurface } from './command-surface.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const CLI = new URL('../../bin/stack.cjs', import.meta.url).pathname;
const FLAG = /(?:^|[\s/[|,(])(--?[A-Za-z][A-Za-z0-9-]*)/g;

/** `-it` → `-i`, `-t`; `--tail` as it is. */
function flagsIn(text: string): string[] {
  return [...text.matchAll(FLAG)].flatMap((m) => {
    const flag = m[1]!;
    return flag.startsWith('--') || flag.length === 2 ? [flag] : [...flag.slice(1)].map((c) => `-${c}`);
  });
}

const cells = (line: string): string[] => line.split(/(?<!\\)\|/).slice(1, -1);
const ticks = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.trim());

/** A table of the README, by its header line. */
function tableRows(header: string): string[][] {
  const lines = README.split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  expect(at, header).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

/** Per command: the flags its row names (general ones, and `cmd --flag` segments for that command). */
function readmeCommands(): Map<string, { general: Set<string>; own: Set<string>; row: string[] }> {
  const commands = new Map<string, { general: Set<string>; own: Set<string>; row: string[] }>();
  for (const [name, text] of tableRows('| command | what it does |')) {
    const names = ticks(name!).map((t) => t.split(/\s+/)[0]!);
    const general = new Set<string>();
    const own = new Map(names.map((n) => [n, new Set<string>()]));
    for (const segment of ticks(text!)) {
      if (segment.startsWith('-')) for (const f of flagsIn(segment)) general.add(f);
      else {
        const word = segment.split(/\s+/)[0]!;
        if (own.has(word)) for (const f of flagsIn(segment.slice(word.length))) own.get(word)!.add(f);
      }
    }
    for (const n of names) commands.set(n, { general, own: own.get(n)!, row: names });
  }
  return commands;
}

/** Every spelling of the command's flags. */
const flagsOf = (c: CommandSurface): string[] => c.flags.flat().sort();
/** A flag is named when one of its spellings is (`-d` or `--detach`). */
const named = (c: CommandSurface, has: (flag: string) => boolean): string[] =>
  c.flags.filter((forms) => !forms.some(has)).map((forms) => forms.join('/'));

describe('README command reference and the help agree', () => {
  it('every command of the program has a row, and every row names a command', async () => {
    const surface = await readSurface();
    const program = [...surface.values()].filter((c) => c.path !== '');
    const readme = readmeCommands();
    const known = (name: string): boolean => program.some((c) => c.path === name || c.aliases.includes(name));
    const listed = (c: (typeof program)[number]): boolean => [c.path, ...c.aliases].some((n) => readme.has(n));
    expect(program.filter((c) => !listed(c)).map((c) => c.path)).toEqual([]);
    expect([...readme.keys()].filter((n) => !known(n))).toEqual([]);
  });

  it("every flag of a command is in its row, and every flag a row names is one of its commands'", async () => {
    const surface = await readSurface();
    const readme = readmeCommands();
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const [name, row] of readme) {
      const command = [...surface.values()].find((c) => c.path === name || c.aliases.includes(name));
      if (!command) continue;
      for (const flag of named(command, (f) => row.general.has(f) || row.own.has(f))) missing.push(`${name} ${flag}`);
      for (const flag of row.own) if (!flagsOf(command).includes(flag)) unknown.push(`${name} ${flag}`);
    }
    // A general flag of a shared row (`start` / `stop` / `restart`) belongs to at least one of them.
    for (const [name, row] of readme) {
      if (row.row[0] !== name) continue;
      const all = row.row.flatMap((n) => {
        const c = [...surface.values()].find((s) => s.path === n || s.aliases.includes(n));
        return c ? flagsOf(c) : [];
      });
      for (const flag of row.general) if (!all.includes(flag)) unknown.push(`${name} ${flag}`);
    }
    expect(missing, 'flags of the program the README does not name').toEqual([]);
    expect(unknown, 'flags the README names that the command does not have').toEqual([]);
  });

  it('the global options table lists the global options of stack --help', async () => {
    const surface = await readSurface();
    const global = surface.get('')!;
    const readme = new Set(tableRows('| global option | meaning |').flatMap(([cell]) => ticks(cell!).flatMap(flagsIn)));
    expect(named(global, (f) => readme.has(f))).toEqual([]);
    expect([...readme].filter((f) => !flagsOf(global).includes(f))).toEqual([]);
  });

  it("each command's --help shows every flag its README row names", async () => {
    const surface = await readSurface();
    const absent: string[] = [];
    for (const [name, row] of readmeCommands()) {
      const command = [...surface.values()].find((c) => c.path === name || c.aliases.includes(name))!;
      const help = command.command.helpInformation();
      const mine = [...row.own, ...[...row.general].filter((f) => flagsOf(command).includes(f))];
      for (const flag of mine)
        if (!new RegExp(`(^|[\\s,])${flag}[\\s,=]`, 'm').test(help)) absent.push(`${name} ${flag}`);
    }
    expect(absent).toEqual([]);
  });

  it('stack --help prints every command the README lists', () => {
    const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    for (const name of readmeCommands().keys()) expect(help).toMatch(new RegExp(`^  ${name}[ |]`, 'm'));
  });
});
