// Summary of a V8 .cpuprofile (from `node --cpu-prof`): self time by package (ttv's own modules by
// folder) and the top functions, idle excluded. Shared by the profile-* diagnosis tools.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function category(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native / V8 builtins)';
  if (url.startsWith('node:'))
    return `node:${url
      .slice(5)
      .split('/')[0]
      .replace(/^internal.*/, 'internal')}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const d = /\/dist\/(.+)$/.exec(url);
  if (d) return `ttv ${d[1].split('/').slice(0, 2).join('/')}`;
  return url.split('/').slice(-2).join('/');
}

/** Reads the one .cpuprofile in `dir` and returns its self time per package and per function (µs). */
export function readProfile(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i += 1)
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  let total = 0;
  const packages = new Map();
  const functions = new Map();
  for (const [nodeId, us] of self) {
    const { functionName, url, lineNumber } = byId.get(nodeId).callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const c = category(url, functionName || '(anonymous)');
    packages.set(c, (packages.get(c) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  return { total, packages, functions };
}

/**
 * Prints the profile's self time by package and its top functions; with `requests`, also the
 * busy time per request (profiler time: wall clock while sampling, so it includes preemption).
 */
export function printProfile({ total, packages, functions }, { requests, topPackages = 18, topFunctions = 25 } = {}) {
  const perRequest = (us) => (requests ? `  ${(us / requests).toFixed(2).padStart(7)} µs/req` : '');
  const show = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)} %${perRequest(v)}  ${k}`)
      .join('\n');
  console.log(
    `\nself time by package (${(total / 1e6).toFixed(1)} s busy, idle excluded${requests ? `, ${(total / requests).toFixed(1)} µs per request` : ''}):\n${show(packages, topPackages)}`,
  );
  console.log(`\ntop functions by self time:\n${show(functions, topFunctions)}`);
}
