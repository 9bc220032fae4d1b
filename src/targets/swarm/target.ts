/**
 * Which target a run uses: `--target`, else STACK_TARGET, else the file's `x-stack: {target}`,
 * else the local engine. Pure.
 */
import { StackError } from '../../errors.js';

export type TargetName = 'local' | 'swarm';

/** The target of a run; USAGE error for an unknown name. */
export function resolveTarget(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  extensions: Readonly<Record<string, unknown>>,
): TargetName {
  const fromFile = (extensions['x-stack'] as { target?: unknown } | undefined)?.target;
  const chosen = flag ?? env['STACK_TARGET'] ?? (typeof fromFile === 'string' ? fromFile : undefined) ?? 'local';
  if (chosen === 'local' || chosen === 'swarm') return chosen;
  throw new StackError('USAGE', `unknown target "${chosen}": use "local" or "swarm"`);
}
