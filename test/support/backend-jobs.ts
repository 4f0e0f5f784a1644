// Whole jobs through the API for the video-backend tests: submit, wait for a terminal state, read
// the log, and fetch the stored artifact to check it is a playable MP4.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postJob, type TestService } from './test-service.js';
import { waitForJobStatus } from './job-status.js';

const run = promisify(execFile);

export type JobView = Record<string, unknown> & {
  id: string;
  status: string;
  error: string | null;
  estimated_cost_usd: number | null;
};

/**
 * Remote settings that keep backend tests quick: fast polls, tiny backoff, a short deadline. The fakes
 * are not the vendors, so their polling floors (Runway: 5 s) are lifted, as an operator would for a
 * local mock.
 */
export const FAST_REMOTE = {
  polling_interval: 0.02,
  polling_interval_floor_override: true,
  retry_base_seconds: 0.01,
  max_retries: 2,
  timeout: 20,
};

/** Three sentences: a 3-segment job (the planner makes a segment per sentence). */
export const THREE_SEGMENTS = 'A lighthouse at dawn. Waves on the rocks. Gulls over the sea.';

export async function submit(
  svc: TestService | { url: string },
  prompt = 'A lighthouse at dawn. Waves on the rocks.',
): Promise<string> {
  const res = await postJob(svc.url, { prompt });
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function getJob(svc: TestService, id: string): Promise<JobView> {
  return (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as JobView;
}

export async function waitForEnd(svc: TestService, id: string, timeoutMs = 30_000): Promise<JobView> {
  return (await waitForJobStatus(svc.url, id, ['finished', 'failed', 'canceled'], { timeoutMs })) as JobView;
}

export async function jobLog(svc: TestService, id: string): Promise<string[]> {
  return ((await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] }).lines;
}

export async function runJob(
  svc: TestService,
  prompt?: string,
): Promise<{ id: string; job: JobView; lines: string[] }> {
  const id = await submit(svc, prompt);
  const job = await waitForEnd(svc, id);
  return { id, job, lines: await jobLog(svc, id) };
}

export async function cancelJob(svc: TestService, id: string): Promise<number> {
  return (await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' })).status;
}

/** Downloads the job's artifact and probes it: the codec and size of its video stream and its duration. */
export async function probeArtifact(
  svc: TestService | { url: string },
  id: string,
): Promise<{ codec: string | undefined; durationSeconds: number; width: number; height: number }> {
  const { url } = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact`)).json()) as { url: string };
  const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
  const dir = await mkdtemp(join(tmpdir(), 'ttv-artifact-'));
  try {
    const file = join(dir, 'video.mp4');
    await writeFile(file, bytes);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      file,
    ]);
    const probe = JSON.parse(stdout) as {
      streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
      format: { duration: string };
    };
    const video = probe.streams.find((s) => s.codec_type === 'video');
    return {
      codec: video?.codec_name,
      durationSeconds: Number(probe.format.duration),
      width: video?.width ?? 0,
      height: video?.height ?? 0,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
