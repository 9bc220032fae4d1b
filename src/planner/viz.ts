/**
 * The stack as a picture: services and their dependencies (from buildGraph, so exactly the
 * edges that order `up`), optionally with networks, named volumes, published ports and
 * images, as Graphviz DOT or Mermaid text. Pure: a model in, a string out; `stack viz`
 * prints it. An arrow `a -> b` reads "a depends on b"; its label is the depends_on condition.
 * Only enabled services are drawn (the model already honours profiles).
 */
import type { StackModel } from '../model.js';
import { buildGraph, networkModeService } from './graph.js';

/** The output languages of `stack viz`. */
export type VizFormat = 'dot' | 'mermaid';

/** What to draw beyond services and their dependencies. */
export interface VizOptions {
  readonly format: VizFormat;
  /** Networks as nodes, joined to the services attached to them. */
  readonly networks?: boolean;
  /** Named volumes as nodes, joined to the services that mount them (with the mount path). */
  readonly volumes?: boolean;
  /** Published ports in each service's label. */
  readonly ports?: boolean;
  /** Each service's image in its label. */
  readonly images?: boolean;
}

type NodeKind = 'service' | 'network' | 'volume';

/** One node: an id unique in the picture and the lines of its label. */
interface VizNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: readonly string[];
}

/** One edge; `directed` false joins a service to a network or volume. */
interface VizEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  readonly directed: boolean;
  /** `required: false` dependencies are drawn dashed. */
  readonly optional: boolean;
}

/** The picture as data, before it is written in one language. */
interface VizGraph {
  readonly name: string;
  readonly nodes: readonly VizNode[];
  readonly edges: readonly VizEdge[];
}

const CONDITION_LABEL: Readonly<Record<string, string>> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed',
};

/** Builds the picture from the model: sorted everywhere, so the text is stable. */
export function buildVizGraph(model: StackModel, options: Omit<VizOptions, 'format'> = {}): VizGraph {
  const graph = buildGraph(model);
  const nodes: VizNode[] = [];
  const edges: VizEdge[] = [];
  const serviceId = (name: string): string => `service:${name}`;
  for (const name of graph.services) {
    const spec = model.services[name]!;
    const label = [name];
    if (options.images) label.push(spec.image ?? `${model.name}-${name} (build)`);
    if (options.ports) {
      for (const port of spec.ports) {
        const host =
          port.published === undefined ? '' : `${port.hostIp !== undefined ? `${port.hostIp}:` : ''}${port.published}:`;
        label.push(`${host}${port.target}/${port.protocol}`);
      }
    }
    nodes.push({ id: serviceId(name), kind: 'service', label });
    const viaNetwork = networkModeService(spec.networkMode);
    for (const dep of graph.dependencies[name] ?? []) {
      const how = spec.dependsOn[dep];
      const label =
        how !== undefined
          ? (CONDITION_LABEL[how.condition] ?? how.condition)
          : dep === viaNetwork
            ? 'network_mode'
            : undefined;
      edges.push({
        from: serviceId(name),
        to: serviceId(dep),
        directed: true,
        optional: how?.required === false,
        ...(label !== undefined ? { label } : {}),
      });
    }
  }
  if (options.networks) {
    const used = new Set<string>();
    for (const name of graph.services) {
      const spec = model.services[name]!;
      if (spec.networkMode !== undefined) continue;
      for (const key of Object.keys(spec.networks).sort()) {
        used.add(key);
        edges.push({ from: serviceId(name), to: `network:${key}`, directed: false, optional: false });
      }
    }
    for (const key of [...used].sort()) nodes.push({ id: `network:${key}`, kind: 'network', label: [key] });
  }
  if (options.volumes) {
    const used = new Set<string>();
    for (const name of graph.services) {
      for (const mount of model.services[name]!.volumes) {
        if (mount.type !== 'volume' || mount.source === undefined) continue;
        used.add(mount.source);
        edges.push({
          from: serviceId(name),
          to: `volume:${mount.source}`,
          label: `${mount.target}${mount.readOnly ? ':ro' : ''}`,
          directed: false,
          optional: false,
        });
      }
    }
    for (const key of [...used].sort()) nodes.push({ id: `volume:${key}`, kind: 'volume', label: [key] });
  }
  return { name: model.name, nodes, edges };
}

/** The DOT or Mermaid text of the stack's picture, ending with a newline. */
export function renderViz(model: StackModel, options: VizOptions): string {
  const graph = buildVizGraph(model, options);
  return options.format === 'mermaid' ? writeMermaid(graph) : writeDot(graph);
}

/** A DOT quoted string: backslashes and quotes escaped, newlines as DOT's centred line break. */
function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const DOT_SHAPE: Readonly<Record<NodeKind, string>> = { service: 'box', network: 'ellipse', volume: 'cylinder' };

function writeDot(graph: VizGraph): string {
  const lines = [
    `digraph ${dotString(graph.name)} {`,
    '  rankdir=LR;',
    '  node [fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const node of graph.nodes) {
    const style = node.kind === 'service' ? ', style=rounded' : node.kind === 'network' ? ', style=dashed' : '';
    lines.push(
      `  ${dotString(node.id)} [label=${dotString(node.label.join('\n'))}, shape=${DOT_SHAPE[node.kind]}${style}];`,
    );
  }
  for (const edge of graph.edges) {
    const attrs = [
      ...(edge.label !== undefined ? [`label=${dotString(edge.label)}`] : []),
      ...(edge.optional ? ['style=dashed'] : []),
      ...(edge.directed ? [] : ['dir=none', 'color=gray50']),
    ];
    lines.push(
      `  ${dotString(edge.from)} -> ${dotString(edge.to)}${attrs.length > 0 ? ` [${attrs.join(', ')}]` : ''};`,
    );
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * Mermaid ids must be plain words, so nodes get `s0`, `n0`, `v0` in drawing order; labels are
 * quoted, with `"` written as Mermaid's `#quot;` entity and lines joined by `<br/>`.
 */
function writeMermaid(graph: VizGraph): string {
  const ids = new Map<string, string>();
  const counters: Record<NodeKind, number> = { service: 0, network: 0, volume: 0 };
  const text = (s: string): string => `"${s.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) {
    const id = `${node.kind[0]}${counters[node.kind]++}`;
    ids.set(node.id, id);
    const label = text(node.label.join('<br/>'));
    lines.push(
      `  ${id}${node.kind === 'service' ? `(${label})` : node.kind === 'network' ? `{{${label}}}` : `[(${label})]`}`,
    );
  }
  for (const edge of graph.edges) {
    const arrow = edge.directed ? (edge.optional ? '-.->' : '-->') : '---';
    const label = edge.label !== undefined ? `|${text(edge.label)}|` : '';
    lines.push(`  ${ids.get(edge.from)!} ${arrow}${label} ${ids.get(edge.to)!}`);
  }
  return lines.join('\n') + '\n';
}
