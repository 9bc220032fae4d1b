/**
 * `stack viz`: the dependency graph of the stack as Graphviz DOT (default) or Mermaid text
 * (Compose has `alpha viz`), or as an SVG drawn by Graphviz (src/render/graph-svg.ts, loaded
 * only then). Never touches the engine: load, then the pure renderer in src/planner/viz.ts.
 * Profiles are honoured like every command (`--profile`). `-o` writes a file; its extension
 * chooses the format when `--format` is not given (`-o graph.svg`).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { extname } from 'node:path';
import { ExitCode, StackError } from '../../errors.js';
import { renderViz } from '../../planner/viz.js';
import type { VizFormat } from '../../planner/viz.js';
import type { Runner } from '../context.js';

/** The flags of `viz`. */
export interface VizFlags {
  format?: VizFormat | 'svg';
  output?: string;
  networks?: boolean;
  volumes?: boolean;
  ports?: boolean;
  images?: boolean;
  /** Compose's `alpha viz --image`, kept for muscle memory. */
  image?: boolean;
}

export function registerViz(program: Command, run: Runner): void {
  program
    .command('viz')
    .alias('graph')
    .description('print the dependency graph of the services as Graphviz DOT, Mermaid or SVG')
    .addOption(
      new Option('--format <format>', 'output language (default: from the -o extension, else dot)').choices([
        'dot',
        'mermaid',
        'svg',
      ]),
    )
    .option('-o, --output <file>', 'write the graph to this file instead of stdout')
    .option('--networks', 'also draw networks and which services join them')
    .option('--volumes', 'also draw named volumes and which services mount them')
    .option('--ports', 'show published ports in the service boxes')
    .option('--images', "show each service's image in its box")
    .addOption(new Option('--image', "same as --images (Compose's spelling)").hideHelp())
    .action((flags: VizFlags) =>
      run(async (ctx) => {
        const model = await ctx.loadModel();
        // As its target reports them: on Swarm, a deploy key Swarm implements is not "not implemented".
        const { printTargetWarnings } = await import('./swarm.js');
        await printTargetWarnings(ctx, model);
        const format = flags.format ?? formatOf(flags.output) ?? 'dot';
        const text = renderViz(model, {
          format: format === 'svg' ? 'dot' : format,
          ...(flags.networks ? { networks: true } : {}),
          ...(flags.volumes ? { volumes: true } : {}),
          ...(flags.ports ? { ports: true } : {}),
          ...(flags.images || flags.image ? { images: true } : {}),
        });
        const out = format === 'svg' ? await (await import('../../render/graph-svg.js')).renderSvg(text) : text;
        if (flags.output === undefined) ctx.stdout.write(out);
        else await writeOutput(flags.output, out);
        return ExitCode.ok;
      }),
    );
}

/** The format a file name asks for: `.svg`, `.dot`/`.gv`, `.mmd`/`.mermaid`; else undefined. */
function formatOf(file: string | undefined): VizFormat | 'svg' | undefined {
  const ext = file === undefined ? '' : extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.dot' || ext === '.gv') return 'dot';
  if (ext === '.mmd' || ext === '.mermaid') return 'mermaid';
  return undefined;
}

async function writeOutput(file: string, text: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new StackError('USAGE', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
