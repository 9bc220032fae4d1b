/**
 * `stack completion bash|zsh|fish`: a shell script generated from the commander program (its
 * commands, aliases, flags and their choices), so it lists what this stack accepts, never a
 * hand-kept copy. Service names come at completion time from `stack config --services` with the
 * global options typed so far (a light command served by the model cache: no engine, no plan).
 */
import type { Command, Option } from 'commander';

/** The shells `completion` writes for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface FlagInfo {
  readonly long?: string;
  readonly short?: string;
  readonly description: string;
  readonly takesValue: boolean;
  readonly choices: readonly string[];
  /** The value is a path (`<path>`, `<file>`, `<dir>`): complete file names. */
  readonly path: boolean;
}

interface CommandInfo {
  readonly names: readonly string[];
  readonly description: string;
  readonly flags: readonly FlagInfo[];
  /** Its arguments are services (`[services...]`, `<service>`). */
  readonly services: boolean;
}

function flagInfo(option: Option): FlagInfo {
  const value = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  const name = value?.[1] ?? value?.[2] ?? '';
  return {
    ...(option.long ? { long: option.long } : {}),
    ...(option.short ? { short: option.short } : {}),
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
    path: /path|file|dir/.test(name),
  };
}

function flagsOf(command: Command): FlagInfo[] {
  return command.options.filter((o) => !o.hidden).map(flagInfo);
}

function commandsOf(program: Command): CommandInfo[] {
  return program.commands.map((c) => ({
    names: [c.name(), ...c.aliases()],
    description: c.description(),
    flags: flagsOf(c),
    services: c.registeredArguments.some((a) => /^service/.test(a.name())),
  }));
}

const words = (flags: readonly FlagInfo[]): string =>
  flags.flatMap((f) => [f.short, f.long].filter((w): w is string => w !== undefined)).join(' ');

/** The `case` arms that complete the value of a flag (`prev` is the flag). */
function bashValueArms(scope: string, flags: readonly FlagInfo[]): string[] {
  return flags
    .filter((f) => f.takesValue)
    .map((f) => {
      const pattern = [f.short, f.long]
        .filter((w): w is string => w !== undefined)
        .map((w) => `${scope}:${w}`)
        .join('|');
      const action =
        f.choices.length > 0
          ? `COMPREPLY=($(compgen -W "${f.choices.join(' ')}" -- "$cur"))`
          : f.path
            ? 'COMPREPLY=($(compgen -f -- "$cur"))'
            : 'COMPREPLY=()';
      return `    ${pattern}) ${action}; return ;;`;
    });
}

function bashScript(program: Command): string {
  const globals = flagsOf(program);
  const commands = commandsOf(program);
  const globalValues = globals
    .filter((f) => f.takesValue)
    .flatMap((f) => [f.short, f.long].filter((w): w is string => w !== undefined));
  const serviceCommands = commands.filter((c) => c.services).flatMap((c) => c.names);
  const valueArms = [
    ...bashValueArms('', globals),
    ...commands.flatMap((c) => c.names.flatMap((name) => bashValueArms(name, c.flags))),
  ];
  const flagArms = commands.map(
    (c) => `      ${c.names.join('|')}) COMPREPLY=($(compgen -W "${words(c.flags)} --help" -- "$cur")) ;;`,
  );
  return [
    '# stack completion for bash (zsh loads it through bashcompinit).',
    '# Add to ~/.bashrc:  source <(stack completion bash)',
    '_stack_completion() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i w',
    '  local -a globals=()',
    '  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  for (( i = 1; i < COMP_CWORD; i++ )); do',
    '    w="${COMP_WORDS[i]}"',
    '    case "$w" in',
    `      ${globalValues.join('|')})`,
    '        [[ -z "$cmd" ]] && globals+=("$w" "${COMP_WORDS[i+1]}")',
    '        [[ -z "$cmd" ]] && (( i++ ))',
    '        ;;',
    '      -*) ;;',
    '      *) [[ -z "$cmd" ]] && cmd="$w" ;;',
    '    esac',
    '  done',
    '  case "$cmd:$prev" in',
    ...valueArms,
    '  esac',
    '  if [[ -z "$cmd" ]]; then',
    '    if [[ "$cur" == -* ]]; then',
    `      COMPREPLY=($(compgen -W "${words(globals)} --help" -- "$cur"))`,
    '    else',
    `      COMPREPLY=($(compgen -W "${commands.flatMap((c) => c.names).join(' ')} help" -- "$cur"))`,
    '    fi',
    '    return',
    '  fi',
    '  if [[ "$cur" == -* ]]; then',
    '    case "$cmd" in',
    ...flagArms,
    '    esac',
    '    return',
    '  fi',
    '  case "$cmd" in',
    `    ${serviceCommands.join('|')})`,
    '      COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "${globals[@]}" config --services 2>/dev/null)" -- "$cur"))',
    '      ;;',
    '  esac',
    '}',
    'complete -o default -F _stack_completion stack',
    '',
  ].join('\n');
}

function zshScript(program: Command): string {
  return [
    "# stack completion for zsh, through zsh's bash completion layer.",
    '# Add to ~/.zshrc (after compinit):  source <(stack completion zsh)',
    'autoload -U +X bashcompinit && bashcompinit',
    bashScript(program),
  ].join('\n');
}

const fishQuote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishFlag(condition: string, f: FlagInfo): string {
  const parts = ['complete -c stack', `-n ${fishQuote(condition)}`];
  if (f.short) parts.push(`-s ${f.short.slice(1)}`);
  if (f.long) parts.push(`-l ${f.long.slice(2)}`);
  if (f.takesValue)
    parts.push(f.choices.length > 0 ? `-x -a ${fishQuote(f.choices.join(' '))}` : f.path ? '-r -F' : '-x');
  parts.push(`-d ${fishQuote(f.description)}`);
  return parts.join(' ');
}

function fishScript(program: Command): string {
  const globals = flagsOf(program);
  const commands = commandsOf(program);
  const all = commands.flatMap((c) => c.names).join(' ');
  const serviceCommands = commands.filter((c) => c.services).flatMap((c) => c.names);
  const globalValues = globals
    .filter((f) => f.takesValue)
    .flatMap((f) => [f.short, f.long].filter((w): w is string => w !== undefined));
  return [
    '# stack completion for fish.',
    '# Save as ~/.config/fish/completions/stack.fish:  stack completion fish > ~/.config/fish/completions/stack.fish',
    'function __stack_services',
    '    set -l words (commandline -opc)',
    '    set -l globals',
    '    set -l i 2',
    '    while test $i -le (count $words)',
    '        switch $words[$i]',
    `            case ${globalValues.join(' ')}`,
    '                set -a globals $words[$i] $words[(math $i + 1)]',
    '                set i (math $i + 1)',
    "            case '-*'",
    "            case '*'",
    '                break',
    '        end',
    '        set i (math $i + 1)',
    '    end',
    '    $words[1] $globals config --services 2>/dev/null',
    'end',
    'complete -c stack -f',
    ...globals.map((f) => fishFlag(`not __fish_seen_subcommand_from ${all}`, f)),
    ...commands.flatMap((c) =>
      c.names.map(
        (name) =>
          `complete -c stack -n ${fishQuote(`not __fish_seen_subcommand_from ${all}`)} -a ${name} ` +
          `-d ${fishQuote(c.description)}`,
      ),
    ),
    ...commands.flatMap((c) => c.flags.map((f) => fishFlag(`__fish_seen_subcommand_from ${c.names.join(' ')}`, f))),
    `complete -c stack -n ${fishQuote(`__fish_seen_subcommand_from ${serviceCommands.join(' ')}`)} ` +
      `-a '(__stack_services)'`,
    '',
  ].join('\n');
}

/** The completion script of `shell` for `program`. */
export function completionScript(shell: Shell, program: Command): string {
  return shell === 'bash' ? bashScript(program) : shell === 'zsh' ? zshScript(program) : fishScript(program);
}
