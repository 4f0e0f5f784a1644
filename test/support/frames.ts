// Test helpers: decoded frames compared as raw pixels, and stream facts ffprobe reports.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { runProcess } from '../../src/media/process-runner.js';

/** Raw RGB bytes of one decoded frame (`first` or `last`) of a video or image, as a buffer. */
export function decodedFrame(file: string, which: 'first' | 'last' = 'first'): Promise<Buffer> {
  const filter = which === 'first' ? 'trim=end_frame=1' : 'reverse,trim=end_frame=1';
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      file,
      '-vf',
      filter,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ]);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exited with ${code}`)),
    );
  });
}

export const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** PSNR in dB between two equally sized RGB buffers (Infinity when identical). */
export function psnr(a: Buffer, b: Buffer): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`frame sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += (a[i]! - b[i]!) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Counted frames of the first video stream (decodes the whole stream). */
export async function countFrames(file: string): Promise<number> {
  const { stdout } = await runProcess('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}
