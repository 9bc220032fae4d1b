/**
 * `ps` rows as Compose prints them (cmd/formatter/container.go): the fields of a container,
 * its JSON object, and the subset of Go templates scripts use with `--format`:
 * `{{.Name}}`, `{{.Label "key"}}`, `{{json .}}`, `{{json .Publishers}}`, `table …` with
 * headers, `\t` between columns. Pure.
 */
import { StackError } from '../../errors.js';
import { Label } from '../../labels.js';
import type { EngineContainer } from '../../engine/types.js';
import { primaryName } from '../../engine/observe.js';

/** A published (or exposed) port as Compose's `Publishers` lists it. */
export interface Publisher {
  readonly URL: string;
  readonly TargetPort: number;
  readonly PublishedPort: number;
  readonly Protocol: string;
}

/** One row's fields, by the names `--format` templates use. */
export type PsFields = Readonly<Record<string, string | number | readonly Publisher[]>>;

/** docker/go-units HumanDuration: "2 minutes", "About an hour". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** Go's time.Time.String() of unix seconds, in UTC: `2024-01-02 03:04:05 +0000 UTC`. */
export function goTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' +0000 UTC');
}

/** The container's ports as Compose's publishers, sorted as Compose sorts them. */
export function publishers(c: EngineContainer): Publisher[] {
  return (c.Ports ?? [])
    .map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type }))
    .sort(
      (a, b) =>
        a.TargetPort - b.TargetPort ||
        a.PublishedPort - b.PublishedPort ||
        (a.URL < b.URL ? -1 : a.URL > b.URL ? 1 : 0) ||
        (a.Protocol < b.Protocol ? -1 : 1),
    );
}

function ellipsis(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** The fields of one container (Compose's ContainerContext); `trunc` unless `--no-trunc`. */
export function psFields(c: EngineContainer, options: { trunc: boolean; ports: string; now: number }): PsFields {
  const labels = c.Labels ?? {};
  const exit = /^Exited \((-?\d+)\)/.exec(c.Status);
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status);
  const command = c.Command ?? '';
  return {
    Command: JSON.stringify(options.trunc ? ellipsis(command, 20) : command),
    CreatedAt: goTime(c.Created),
    ExitCode: exit ? Number(exit[1]) : 0,
    Health: health ? health[1]!.replace('health: ', '') : '',
    ID: options.trunc ? c.Id.slice(0, 12) : c.Id,
    Image: c.Image,
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Type === 'volume').length),
    Mounts: (c.Mounts ?? [])
      .map((m) => (options.trunc ? ellipsis(m.Name ?? m.Source, 15) : (m.Name ?? m.Source)))
      .join(','),
    Name: primaryName(c.Names),
    Names: primaryName(c.Names),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Ports: options.ports,
    Project: labels[Label.project] ?? '',
    Publishers: publishers(c),
    RunningFor: `${humanDuration(options.now - c.Created * 1000)} ago`,
    Service: labels[Label.service] ?? '',
    Size: '0B',
    State: c.State,
    Status: c.Status,
  };
}

/** Column headers of the table format, as Compose names them. */
const HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Name: 'NAME',
  Names: 'NAMES',
  Project: 'PROJECT',
  Service: 'SERVICE',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Health: 'HEALTH',
  ExitCode: 'EXIT CODE',
  Publishers: 'PUBLISHERS',
};

/** Compose's default `ps` table. */
export const DEFAULT_PS_FORMAT =
  'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';

function stringify(value: PsFields[string] | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One `{{ … }}` action: its value for a row, and its table header. */
function evaluate(action: string, row: PsFields, labels: Readonly<Record<string, string>>): string {
  const text = action.trim();
  if (text === 'json .' || text === 'json') return JSON.stringify(row);
  let match = /^json\s+\.(\w+)$/.exec(text);
  if (match) return JSON.stringify(row[match[1]!] ?? null);
  match = /^\.Label\s+"([^"]*)"$/.exec(text);
  if (match) return labels[match[1]!] ?? '';
  match = /^(lower|upper)\s+\.(\w+)$/.exec(text);
  if (match)
    return match[1] === 'lower' ? stringify(row[match[2]!]).toLowerCase() : stringify(row[match[2]!]).toUpperCase();
  match = /^\.(\w+)$/.exec(text);
  if (match) {
    if (!(match[1]! in row))
      throw new StackError(
        'USAGE',
        `--format: template: can't evaluate field ${match[1]} (fields: ${Object.keys(row).join(', ')})`,
      );
    return stringify(row[match[1]!]);
  }
  throw new StackError(
    'USAGE',
    `--format: unsupported template action {{${action}}} (supported: {{.Field}}, {{.Label "key"}}, ` +
      '{{json .}}, {{json .Field}}, {{lower .Field}}, {{upper .Field}})',
  );
}

function header(action: string, headers: Readonly<Record<string, string>>): string {
  const text = action.trim();
  const match = /^(?:(?:json|lower|upper)\s+)?\.(\w+)/.exec(text);
  if (/^\.Label\s/.test(text)) return 'LABEL';
  return match ? (headers[match[1]!] ?? match[1]!.toUpperCase()) : '';
}

function expand(template: string, each: (action: string) => string): string {
  return template
    .replace(/\{\{(.*?)\}\}/g, (_all, action: string) => each(action))
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n');
}

/** Aligns tab-separated lines as Go's tabwriter (minwidth 0, padding 3). */
function alignTabs(lines: readonly string[]): string {
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return cells
    .map(
      (row) =>
        row
          .map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length + 3)))
          .join('')
          .trimEnd() + '\n',
    )
    .join('');
}

/** Renders rows with a `--format` template (`table` adds a header line and aligns columns). */
export function renderTemplate(
  format: string,
  rows: readonly { fields: PsFields; labels: Readonly<Record<string, string>> }[],
  headers: Readonly<Record<string, string>> = HEADERS,
): string {
  const table = /^table(\s|$)/.test(format);
  const template = table ? format.replace(/^table\s*/, '') : format;
  const lines = rows.map((r) => expand(template, (action) => evaluate(action, r.fields, r.labels)));
  if (!table) return lines.map((l) => l + '\n').join('');
  return alignTabs([expand(template, (action) => header(action, headers)), ...lines]);
}
