/**
 * `stack viz`: the dependency graph of the stack as Graphviz DOT (default) or Mermaid text
 * (Compose has `alpha viz`). Never touches the engine: load, then the pure renderer in
 * src/planner/viz.ts. Profiles are honoured like every command (`--profile`).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { renderViz } from '../../planner/viz.js';
import type { VizFormat } from '../../planner/viz.js';
import type { Runner } from '../context.js';

/** The flags of `viz`. */
export interface VizFlags {
  format: VizFormat;
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
    .description('print the dependency graph of the services as Graphviz DOT or Mermaid')
    .addOption(new Option('--format <format>', 'output language').choices(['dot', 'mermaid']).default('dot'))
    .option('--networks', 'also draw networks and which services join them')
    .option('--volumes', 'also draw named volumes and which services mount them')
    .option('--ports', 'show published ports in the service boxes')
    .option('--images', "show each service's image in its box")
    .addOption(new Option('--image', "same as --images (Compose's spelling)").hideHelp())
    .action((flags: VizFlags) =>
      run(async (ctx) => {
        const model = await ctx.loadModel();
        ctx.printWarnings(model);
        ctx.stdout.write(
          renderViz(model, {
            format: flags.format,
            ...(flags.networks ? { networks: true } : {}),
            ...(flags.volumes ? { volumes: true } : {}),
            ...(flags.ports ? { ports: true } : {}),
            ...(flags.images || flags.image ? { images: true } : {}),
          }),
        );
        return ExitCode.ok;
      }),
    );
}
