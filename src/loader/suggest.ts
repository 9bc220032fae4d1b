/**
 * "Did you mean ..." by edit distance, for unknown keys, references and enum values.
 */

/**
 * Optimal-string-alignment (restricted Damerau-Levenshtein) distance: insert, delete,
 * substitute and swap two adjacent characters each cost 1, so `wbe` is 1 away from `web`
 * (plain Levenshtein says 2, which is past the limit for short names).
 */
export function editDistance(a: string, b: string): number {
  // Three rows: the one before the previous is needed for transpositions.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, beforePrevious[j - 2]! + 1);
      current[j] = best;
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The closest candidate, when it is close enough to be a likely typo: at most a third of the
 * word's length (and at least 1, at most 3) edits away. Ties keep the first candidate.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a candidate that far off cannot be
    // suggested, and is not compared (a 240 KB unknown key costs nothing, not seconds).
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `did you mean "x"?` or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = suggest(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}
