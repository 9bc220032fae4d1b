/**
 * The dependency picture as SVG: the DOT text of src/planner/viz.ts laid out and drawn by
 * Graphviz itself, compiled to WebAssembly (@viz-js/viz: no layout of our own, no native
 * binary, nothing fetched). Its 1.2 MB module is loaded here only, when an SVG is asked for,
 * so no other command pays for it (scripts/bundle-cli.mjs keeps it outside the bundle).
 */

/** Lays out and draws `dot` (a DOT digraph) as a standalone SVG document. */
export async function renderSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  return viz.renderString(dot, { format: 'svg', engine: 'dot' });
}
