/**
 * The known key the user most likely meant: a key that ends with what was written (the
 * section prefix was left out), else the closest by edit distance, if close enough.
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const bySuffix = known.filter((key) => key.endsWith(`.${unknown}`));
  if (bySuffix.length === 1) return bySuffix[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const key of known) {
    const distance = editDistance(unknown, key);
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(2, Math.floor(unknown.length / 4));
  return bestDistance <= tolerance ? best : undefined;
}

/** Levenshtein distance, two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
