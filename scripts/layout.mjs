// Prints the Layout section of docs/architecture.md from the folders in the tree: each folder below
// has a line (its subfolders are named on it), and the descriptions live here. A folder without a
// description, or a description whose folder is gone, is an error naming it, so the page cannot drift.
// Usage: node scripts/layout.mjs            print the block
//        node scripts/layout.mjs --write    rewrite it in docs/architecture.md between the layout markers
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FOLDER_ORDER } from './folder-order.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One line per folder: the top-level ones, and the first level under src/ and test/. */
const DESCRIPTIONS = {
  '.ci':
    'run: the CI entry point (system packages, npm install; quick start + contract tests on the machine Node, npm test on Node 24)',
  bench: 'benchmarks that print figures (npm run bench:all), RESULTS.md',
  bin: 'ttv.js, the command (runs the build in dist/)',
  docs: 'the manual: HTTP API, operations, configuration, backends and models, security, scaling, benchmarks, tests, architecture, design notes; openapi.json (generated)',
  scripts: "system packages, the test runner, generators of docs/openapi.json and the docs' tables",
  'src/access': 'API keys and principals: KeyStore port, authenticators, revocation rules and watch, audit lines',
  'src/api': 'Fastify app and route schemas (OpenAPI)',
  'src/catalog': 'the model catalog: one JSON file of model rows per vendor, its schema, lookups, lifecycle',
  'src/cli': 'the ttv command: serve, worker, generate, client commands, startup checks',
  'src/client': 'HTTP client of the API, used by the client commands',
  'src/config': 'YAML + env + CLI config, zod schema, Python key names',
  'src/edge': 'the HTTP/3 edge: Caddyfile and the Caddy process',
  'src/errors':
    'the error table (code → class, HTTP status, text, retryable), TtvError and every error class; toClientError, what a client may see of one',
  'src/generators': 'VideoGenerator port, the fallback chain, one folder per backend',
  'src/http':
    'the VendorClient every vendor call goes through (retries, timeouts, redirects, errors), base URLs, public addresses, outbound requests to client-named URLs',
  'src/images': 'ImageGenerator port, one folder per provider',
  'src/job-options':
    'per-job options: who may send which, parsing the options of a body (image, webhook), config overrides, option problems, the cost estimate',
  'src/jobs': 'job model + state machine, the JobQueue and LeaseStore ports, the consumer loop, adapters',
  'src/logging': 'the pino logger and the redaction every text sink goes through',
  'src/media': 'ffmpeg/ffprobe wrappers, process groups',
  'src/planning': 'Planner port: the OpenAI and the offline procedural planner, createPlanner',
  'src/procedural': 'deterministic looks derived from a text, shared by the offline image and video generators',
  'src/pipeline':
    'createPipeline (assembly), the plan → keyframes → segments → stitch stages, the keyframe and chaining modes, progress milestones',
  'src/storage':
    'ArtifactStore port and its adapters, kept segment clips, the disk guard (free space under the data dir)',
  'src/stores': 'shared plumbing of the stores: the Redis connection and endpoint, the SQLite schema of every table',
  'src/retention': "the retention sweep behind `ttv prune` and the API's periodic one",
  'src/text': 'wording helpers for messages, base URLs',
  'src/webhooks': 'signed webhook deliveries with retries, in per-host lanes',
  'src/worker':
    'runs the pipeline under an AbortSignal: the attempt handler, scratch dirs, child process-group records, cancels of recorded vendor tasks',
  'test/conformance': 'the JobQueue suite every adapter runs',
  'test/e2e': 'the built ttv command as a real process, the dashboard in Chromium',
  'test/fakes': 'fake vendor servers on loopback',
  'test/fixtures': 'config files in the Python formats',
  'test/support': 'shared test helpers: services, processes, Redis, waits',
  'test/integration': 'real servers on loopback, by area',
  'test/unit': 'modules on their own, by area',
  web: 'the dashboard (plain modules, no build step)',
};
/** Folders listed one level further down. */
const EXPANDED = new Set(['src', 'test']);

function ignoredNames() {
  // Plain names from .gitignore (node_modules, dist/, …) and git's own folder.
  const lines = readFileSync(join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''));
  return new Set(['.git', ...lines.filter((l) => l && !l.startsWith('#') && !/[*?[]/.test(l))]);
}

function folders(dir, ignored) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !ignored.has(e.name))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en'));
}

export function layoutBlock() {
  const ignored = ignoredNames();
  const listed = [];
  for (const top of folders('.', ignored)) {
    if (EXPANDED.has(top)) for (const sub of folders(top, ignored)) listed.push(`${top}/${sub}`);
    else listed.push(top);
  }
  const missing = listed.filter((f) => !(f in DESCRIPTIONS));
  const gone = Object.keys(DESCRIPTIONS).filter((f) => !listed.includes(f));
  if (missing.length || gone.length) {
    throw new Error(
      [
        ...missing.map((f) => `${f}/ has no description: add one to DESCRIPTIONS in scripts/layout.mjs`),
        ...gone.map((f) => `${f}/ is described in scripts/layout.mjs but is not in the tree: remove its line`),
      ].join('\n'),
    );
  }
  const width = Math.max(...listed.map((f) => f.length + 1)) + 1;
  const lines = listed.map((f) => {
    const subs = folders(f, ignored);
    const text = DESCRIPTIONS[f] + (subs.length ? `; ${subs.map((s) => `${s}/`).join(', ')}` : '');
    return `${`${f}/`.padEnd(width)}${text}`;
  });
  const order = FOLDER_ORDER.map((layer) => layer.join(', ')).join(' → ');
  return `\`\`\`\n${lines.join('\n')}\n\`\`\`\n\nThe layers of src/, lowest first (scripts/folder-order.mjs says why; a module imports only from lower layers, test/unit/folder-order.test.ts):\n${order}.\n`;
}

/** The page that holds the block, between these markers. */
const PAGE = 'docs/architecture.md';
const START = '<!-- layout:start -->\n';
const END = '<!-- layout:end -->';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const block = layoutBlock();
  if (process.argv.includes('--write')) {
    const path = join(ROOT, PAGE);
    const page = readFileSync(path, 'utf8');
    const from = page.indexOf(START);
    const to = page.indexOf(END);
    if (from < 0 || to < from) throw new Error(`${PAGE} has no ${START.trim()} … ${END} markers`);
    writeFileSync(path, page.slice(0, from + START.length) + block + page.slice(to));
  } else {
    process.stdout.write(block);
  }
}
