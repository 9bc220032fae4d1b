/**
 * Stack's command surface read from its commander program (the one `main` runs), for the tests
 * that compare it with Compose's reference, the README and `--help`: each command by its path
 * (`""` for the global options), its aliases, its long and short flags.
 */
import type { Command } from 'commander';
import { createProgram } from '../../src/cli/main.js';

/** One command of the program. */
export interface CommandSurface {
  readonly path: string;
  readonly aliases: readonly string[];
  /** `--detach`, `--no-deps`, … */
  readonly longs: ReadonlySet<string>;
  /** `-d`, … */
  readonly shorts: ReadonlySet<string>;
  /** long flag → its short one. */
  readonly shortOf: ReadonlyMap<string, string>;
  /** Each visible option's spellings (`['-d', '--detach']`), `--help` left out. */
  readonly flags: readonly (readonly string[])[];
  readonly command: Command;
}

/** Every command of the program (help excluded), global options under `""`. */
export async function readSurface(): Promise<Map<string, CommandSurface>> {
  const program = await createProgram(async () => undefined);
  const surface = new Map<string, CommandSurface>();
  const visit = (command: Command, path: string): void => {
    const options = command.options.filter((o) => !o.hidden);
    surface.set(path, {
      path,
      aliases: command.aliases(),
      longs: new Set(options.map((o) => o.long).filter((l): l is string => l !== undefined)),
      shorts: new Set(options.map((o) => o.short).filter((s): s is string => s !== undefined)),
      flags: options
        .map((o) => [o.short, o.long].filter((f): f is string => f !== undefined))
        .filter((forms) => !forms.includes('--help')),
      shortOf: new Map(options.filter((o) => o.long && o.short).map((o) => [o.long!, o.short!] as const)),
      command,
    });
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return surface;
}

/** The command at `path`, by name or alias at each level. */
export function findCommand(surface: ReadonlyMap<string, CommandSurface>, path: string): CommandSurface | undefined {
  const direct = surface.get(path);
  if (direct) return direct;
  const parts = path.split(' ');
  const parent = parts.slice(0, -1).join(' ');
  const last = parts[parts.length - 1]!;
  return [...surface.values()].find(
    (c) => c.path.split(' ').slice(0, -1).join(' ') === parent && c.aliases.includes(last),
  );
}
