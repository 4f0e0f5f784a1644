// Word wrapping for the storyboard caption. Hand-written because drawtext has no wrapping of its own
// and the rule is small: break at spaces, split words longer than a line, end with "…" when cut.

/** `text` as at most `maxLines` lines of at most `width` characters (code points). */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let line = '';
  const push = () => {
    if (line) lines.push(line);
    line = '';
  };
  for (let word of words) {
    while ([...word].length > width) {
      push();
      const chars = [...word];
      lines.push(chars.slice(0, width).join(''));
      word = chars.slice(width).join('');
    }
    const candidate = line ? `${line} ${word}` : word;
    if ([...candidate].length > width) {
      push();
      line = word;
    } else {
      line = candidate;
    }
  }
  push();
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = [...kept[maxLines - 1]!];
  kept[maxLines - 1] = `${last
    .slice(0, Math.max(0, width - 1))
    .join('')
    .trimEnd()}…`;
  return kept;
}
