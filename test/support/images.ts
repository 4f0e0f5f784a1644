// Images for the submission checks: real ones rendered by ffmpeg, and the hostile ones an attack
// run sent (a PNG signature followed by garbage; a tiny PNG whose header claims a huge picture).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';

const run = promisify(execFile);

/** A real image of `type`, `width`×`height`, encoded by ffmpeg (a test pattern). */
export async function realImage(type: 'png' | 'jpeg' | 'webp', width = 64, height = 48): Promise<Buffer> {
  const codec = {
    png: ['-c:v', 'png', '-f', 'image2pipe'],
    jpeg: ['-c:v', 'mjpeg', '-f', 'image2pipe'],
    webp: ['-c:v', 'libwebp', '-f', 'webp'],
  }[type];
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=s=${width}x${height}`, '-frames:v', '1', ...codec, '-'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout as unknown as Buffer;
}

/** 69 bytes: the PNG signature, then 61 bytes that are no PNG chunk at all (fixed, not random). */
export function fakePng(): Buffer {
  const garbage = Buffer.alloc(61);
  let x = 0x2545f491;
  for (let i = 0; i < garbage.length; i += 1) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    garbage[i] = x >>> 24;
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), garbage]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A well-formed PNG header (IHDR) claiming `width`×`height` RGB, with one short row of data: small on disk, huge once decoded. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * 16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const dataUri = (bytes: Buffer, type = 'image/png') => `data:${type};base64,${bytes.toString('base64')}`;
