// "Did you mean" for config keys. Hand-written: the edit distance is ten lines and no dependency in
// the tree exports one (commander keeps its own private).

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) d[0]![j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to `key`, when it is close enough to be a typo (about a third of its length). */
export function nearestKey(key: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const dist = distance(key.toLowerCase(), candidate.toLowerCase());
    if (dist < bestDistance) {
      best = candidate;
      bestDistance = dist;
    }
  }
  return best !== null && bestDistance > 0 && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : null;
}

/** " (did you mean \"x\"?)" or "". */
export function didYouMean(key: string, known: Iterable<string>): string {
  const near = nearestKey(key, known);
  return near ? ` (did you mean "${near}"?)` : '';
}
