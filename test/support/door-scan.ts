/**
 * The engine door rules of DESIGN.md section 3, checked on source text: only src/engine/
 * imports dockerode or opens sockets (node:http, node:https, node:net); only src/engine/,
 * src/pipeline/ and the deploy targets (src/targets/: their own observe and executor) call
 * Engine methods; nothing in src/ casts through `unknown` (the casts are how
 * code reached around the door before). Pure functions of (path, text), so a test can plant a
 * violation in a string and see it found.
 */
import { specifiersOf } from './import-scan.js';

/** A rule a source file broke. */
export interface DoorViolation {
  readonly file: string;
  readonly rule: 'socket-import' | 'engine-call' | 'double-cast';
  readonly detail: string;
}

const SOCKET_MODULES = new Set([
  'dockerode',
  'docker-modem',
  'node:http',
  'node:https',
  'node:net',
  'http',
  'https',
  'net',
]);

/** A call of an Engine method on something named `engine` (`engine.x(`, `ctx.engine.x(`, across lines). */
const ENGINE_CALL =
  /\bengine\s*\.\s*((?:list|inspect|create|start|stop|restart|remove|rename|connect|disconnect|pull|push|build|tag|exec|put|get|logs|events|container|resize)\w*)\s*\(/g;

const DOUBLE_CAST = /\bas\s+unknown\s+as\b/g;

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The door rules `text` (the file at `file`, relative to the repo, `/`-separated) breaks. */
export function scanForDoorViolations(file: string, text: string): DoorViolation[] {
  const found: DoorViolation[] = [];
  const inEngine = file.startsWith('src/engine/');
  const inPipeline = file.startsWith('src/pipeline/') || file.startsWith('src/targets/');
  if (!inEngine) {
    for (const specifier of specifiersOf(text)) {
      if (SOCKET_MODULES.has(specifier)) found.push({ file, rule: 'socket-import', detail: specifier });
    }
  }
  if (!inEngine && !inPipeline) {
    for (const match of text.matchAll(ENGINE_CALL))
      found.push({ file, rule: 'engine-call', detail: `line ${lineOf(text, match.index)}: engine.${match[1]!}(` });
  }
  for (const match of text.matchAll(DOUBLE_CAST))
    found.push({ file, rule: 'double-cast', detail: `line ${lineOf(text, match.index)}` });
  return found;
}
