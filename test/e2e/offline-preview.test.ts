// What a newcomer sees in the offline video: a job through the real service with the default
// (storyboard) style, its final video downloaded through the signed URL, frames extracted at three
// times and read back with OCR (Debian's tesseract-ocr). Each frame must show its segment's text.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';
import { submit, waitForEnd } from '../support/backend-jobs.js';
import { runProcess } from '../../src/media/process-runner.js';

const HAS_TESSERACT = await new Promise<boolean>((resolve) => {
  const child = spawn('tesseract', ['--version'], { stdio: 'ignore' });
  child.once('error', () => resolve(false));
  child.once('exit', (code) => resolve(code === 0));
});
// Under CI the dependency is required (scripts/system-deps.sh test installs it): fail, never skip.
const skip = !HAS_TESSERACT && process.env.CI !== 'true';

let svc: TestService;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-preview-'));
  svc = await startTestService({ segment_duration_seconds: 5, procedural: { width: 640, height: 360, fps: 12 } });
});
afterAll(async () => {
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

/** OCR of the frame at `seconds`, lower-cased with whitespace flattened. */
async function readFrame(video: string, seconds: number): Promise<string> {
  const png = join(dir, `frame_${seconds}.png`);
  await runProcess('ffmpeg', ['-v', 'error', '-y', '-ss', String(seconds), '-i', video, '-frames:v', '1', png]);
  const { stdout } = await runProcess('tesseract', [png, '-', '--psm', '6']);
  return stdout.toLowerCase().replace(/\s+/g, ' ');
}

describe.skipIf(skip)('offline preview (storyboard style)', () => {
  it("shows each segment's prompt, number and time range in frames at 1 s, 6 s and 9 s, with an audio track", async () => {
    expect(HAS_TESSERACT, 'tesseract (package tesseract-ocr) is needed; scripts/system-deps.sh test installs it').toBe(
      true,
    );
    const id = await submit(svc, 'A fox runs through snow. It stops at a frozen river.');
    const job = await waitForEnd(svc, id, 120_000);
    expect(job.status).toBe('finished');
    const { url } = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact`)).json()) as { url: string };
    const video = join(dir, 'final_video.mp4');
    await writeFile(video, Buffer.from(await (await fetch(url)).arrayBuffer()));
    const { stdout } = await runProcess('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name',
      '-of',
      'csv=p=0',
      video,
    ]);
    expect(stdout.trim().split('\n').sort()).toEqual(['aac,audio', 'h264,video']);

    const at1 = await readFrame(video, 1);
    expect(at1).toContain('fox runs through snow');
    expect(at1).toMatch(/segment 1 . 0:00.0:05/);
    expect(at1).not.toContain('frozen river');
    for (const seconds of [6, 9]) {
      const text = await readFrame(video, seconds);
      expect(text).toContain('stops at a frozen river');
      expect(text).toMatch(/segment 2 . 0:05.0:10/);
      expect(text).not.toContain('fox');
    }
  });
});
