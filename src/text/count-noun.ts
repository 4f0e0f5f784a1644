// Counts in messages: "1 segment", "3 segments", never "1 segments" or "segment(s)".

/** `n` and the noun in the number that matches it; `plural` defaults to the singular plus "s". */
export function countNoun(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
