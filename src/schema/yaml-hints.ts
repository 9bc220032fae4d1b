/**
 * Better positions and hints for yaml's own errors: an unclosed quote is reported where it
 * was opened (yaml reports where the scalar ran out), and each YAML error code gets a hint.
 */
import { CST, Lexer } from 'yaml';

/**
 * The offset of the opening quote of the quoted scalar that ends at `end` (where yaml reports
 * "Missing closing quote"), found by re-lexing the source: linear, no recursion.
 */
export function openingQuoteOffset(source: string, end: number): number | undefined {
  let offset = 0;
  let atScalar = false;
  for (const lexeme of new Lexer().lex(source)) {
    if (offset > end) return undefined;
    if (atScalar) {
      // The lexeme after a SCALAR marker is a plain or block scalar's text.
      atScalar = false;
      offset += lexeme.length;
      continue;
    }
    const type = CST.tokenType(lexeme);
    if (type === 'scalar') {
      atScalar = true;
      continue;
    }
    // Markers the lexer emits that are not source text.
    if (type === 'doc-mode' || type === 'flow-error-end') continue;
    if ((type === 'double-quoted-scalar' || type === 'single-quoted-scalar') && offset + lexeme.length === end) return offset;
    offset += lexeme.length;
  }
  return undefined;
}
