// Metrics as Prometheus reads them: gauges are computed at scrape time (nothing lags a scrape
// behind), and `promtool check metrics` accepts a real scrape except for the two documented
// Python-compatible gauge names that end in _total.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/test-service.js';
import { runJobsToFinished } from '../../support/job-status.js';
import { metricSample } from '../../support/metric-sample.js';

const COMPATIBILITY_NAMES = ['ttv_api_jobs_total', 'ttv_api_queue_depth_total'];
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const sample = metricSample;

/** Runs promtool check metrics on the text; resolves with its exit code and report lines. */
function promtool(text: string): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', (err) =>
      reject(
        new Error(`promtool is missing (Debian package "prometheus", scripts/system-deps.sh test): ${err.message}`),
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? -1, lines: out.split('\n').filter((l) => l.trim()) }));
    child.stdin.end(text);
  });
}

describe('GET /metrics', () => {
  it('the first scrape after jobs finish already counts them, under both names', async () => {
    await runJobsToFinished(svc.url, ['One lamp glows.', 'Two owls blink.'], { timeoutMs: 10_000 });
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const finished = sample(text, 'ttv_api_queue_jobs{status="finished"}');
    expect(finished).toBe(2);
    expect(sample(text, 'ttv_api_jobs_total')).toBe(finished + sample(text, 'ttv_api_queue_jobs{status="failed"}'));
    expect(sample(text, 'ttv_api_jobs_processed')).toBe(sample(text, 'ttv_api_jobs_total'));
    expect(sample(text, 'ttv_api_queue_depth')).toBe(sample(text, 'ttv_api_queue_depth_total'));
    expect(sample(text, 'ttv_api_queue_depth')).toBe(0);
  });

  it('passes promtool check metrics except for the documented compatibility names', async () => {
    await fetch(`${svc.url}/healthz`);
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const { code, lines } = await promtool(text);
    const unexpected = lines.filter((l) => !COMPATIBILITY_NAMES.some((name) => l.startsWith(`${name} `)));
    expect(unexpected).toEqual([]);
    // The compatibility names are the only findings, and promtool does report them (so the check runs).
    expect(lines.map((l) => l.split(' ', 1)[0]).sort()).toEqual(COMPATIBILITY_NAMES);
    expect(code).not.toBe(0);
  });
});
