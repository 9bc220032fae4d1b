/**
 * `command:`/`entrypoint:` strings split into words by POSIX shell rules (quotes and
 * backslash escapes, no expansion), as Compose does with go-shellwords.
 */

/** The words of `text`, or an error message for an unterminated quote or trailing escape. */
export function splitShellWords(text: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (ch === '\\') {
      if (i + 1 >= text.length) return { error: 'the command ends with a backslash' };
      // A backslash-newline is a line continuation, not a character.
      if (text[i + 1] !== '\n') word += text[i + 1];
      i += 2;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return { error: 'the command has an unterminated single quote' };
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      if (!closed) return { error: 'the command has an unterminated double quote' };
    } else {
      word += ch;
      i++;
    }
  }
  if (inWord) words.push(word);
  return { words };
}
