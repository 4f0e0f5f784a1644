// One sample of a Prometheus text scrape, by its full name (labels included), as a number.
export function metricSample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}
