// A whole job on the embedded default: SQLite, the in-process worker, real ffmpeg, the local store
// and its signed download route.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';
import { waitFor } from '../../support/wait-for.js';
import { waitForJobStatus } from '../../support/job-status.js';

const run = promisify(execFile);
let svc: TestService & { contract: ContractProxy };

beforeAll(async () => {
  svc = await withContract(await startTestService());
});
afterAll(async () => {
  await svc?.close();
});
// Every request above goes through the OpenAPI contract proxy.
afterEach(() => svc?.contract.assertClean());

async function ffprobe(file: string) {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  return JSON.parse(stdout) as { format: { duration: string }; streams: { codec_type: string; codec_name: string }[] };
}

const waitForStatus = (id: string, statuses: string[], timeoutMs = 30_000) =>
  waitForJobStatus(svc.url, id, statuses, { timeoutMs });

/** Processes whose command line mentions `needle` (e.g. a job id in an ffmpeg output path). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      /* process exited */
    }
  }
  return pids;
}

describe('a job from prompt to playable MP4', () => {
  it('finishes with progress 100, milestone logs in order, and a signed URL serving H.264 of the planned length', async () => {
    const prompt = 'A fox runs through snow. It stops at a frozen river. The sun sets behind the hills.';
    const res = await postJob(svc.url, { prompt });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await waitForStatus(id, ['finished', 'failed']);
    expect(job).toMatchObject({ status: 'finished', progress: 100, stage: 'done', error: null, gcs_uri: null });
    expect(String(job.artifact_uri)).toMatch(/^file:\/\/.*\/final_video\.mp4$/);
    expect(String(job.started_at) >= String(job.created_at)).toBe(true);
    expect(String(job.finished_at) >= String(job.started_at)).toBe(true);

    const { lines } = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
    const order = [
      'Setting up pipeline configuration',
      'Initializing video generation pipeline',
      'Enhancing and segmenting prompt',
      'Generating 3 video segments',
      'Stitching video segments together',
      'Uploading final video',
      'Upload completed',
      'Video generation completed',
    ];
    const positions = order.map((text) => lines.findIndex((l) => l.includes(text)));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    const artifact = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=120`)).json()) as {
      url: string;
      expires_in: number;
      artifact_uri: string;
      gcs_uri: null;
    };
    expect(artifact.expires_in).toBe(120);
    expect(artifact.artifact_uri).toBe(job.artifact_uri);
    const key = new URL(artifact.url).pathname.replace(/^\/files\//, '');
    expect(key).toMatch(new RegExp(`^ttv-api/\\d{4}-\\d{2}/${id}/final_video\\.mp4$`));

    const download = await fetch(artifact.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await download.arrayBuffer());
    const dir = await mkdtemp(join(tmpdir(), 'ttv-dl-'));
    try {
      const file = join(dir, 'video.mp4');
      await writeFile(file, bytes);
      const probe = await ffprobe(file);
      expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
      // Three sentences → three segments of segment_duration_seconds (1 s in tests).
      expect(Math.abs(Number(probe.format.duration) - 3)).toBeLessThanOrEqual(0.2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const partial = await fetch(artifact.url, { headers: { range: 'bytes=0-99' } });
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer())).toEqual(bytes.subarray(0, 100));

    const redirect = await fetch(`${svc.url}/v1/jobs/${id}/artifact?redirect=true`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/\/files\/ttv-api\/.*signature=/);
  });

  it('refuses tampered download links with 403', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'tamper test' })).json()) as { id: string };
    await waitForStatus(id, ['finished']);
    const { url } = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact`)).json()) as { url: string };
    const signed = new URL(url);
    const badSig = new URL(signed);
    badSig.searchParams.set('signature', `${signed.searchParams.get('signature')!.slice(0, -2)}AA`);
    const laterExpiry = new URL(signed);
    laterExpiry.searchParams.set('expires', String(Number(signed.searchParams.get('expires')) + 1000));
    const otherKey = new URL(signed);
    otherKey.pathname = otherKey.pathname.replace(id, '00000000-0000-4000-8000-000000000000');
    for (const tampered of [badSig, laterExpiry, otherKey]) {
      const res = await fetch(tampered);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('Forbidden');
    }
    const unsigned = await fetch(`${signed.origin}${signed.pathname}`);
    expect(unsigned.status).toBe(403);
  });
});

describe('cancellation of a running job', () => {
  it('kills the ffmpeg child, removes the temp dir and keeps the status canceled', async () => {
    // One long, larger clip so that ffmpeg is certainly running when we cancel.
    const slow = await startTestService({
      segment_duration_seconds: 40,
      procedural: { width: 1280, height: 720, fps: 30 },
    });
    try {
      const { id } = (await (await postJob(slow.url, { prompt: 'A very long single shot of the ocean.' })).json()) as {
        id: string;
      };
      await waitFor(async () => (processesMentioning(id).length > 0 ? true : null), {
        timeoutMs: 20_000,
        what: 'ffmpeg to start',
      });
      const res = await fetch(`${slow.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(200);
      await waitFor(async () => (processesMentioning(id).length === 0 ? true : null), {
        timeoutMs: 10_000,
        what: 'ffmpeg to be killed',
      });
      const tmpRoot = join(slow.dataDir, 'tmp');
      await waitFor(
        async () => ((existsSync(tmpRoot) ? await readdir(tmpRoot) : []).some((d) => d.includes(id)) ? null : true),
        { what: 'temp dir removal' },
      );
      await waitFor(async () => ((await slow.queue.stats()).active === 0 ? true : null));
      const job = (await (await fetch(`${slow.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
      expect(job.status).toBe('canceled');
      expect(job.artifact_uri).toBeNull();
      const { lines } = (await (await fetch(`${slow.url}/v1/jobs/${id}/logs`)).json()) as { lines: string[] };
      expect(lines.some((l) => l.endsWith('Job cancellation requested'))).toBe(true);
      expect(lines.some((l) => l.includes('Job cancelled during processing'))).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
