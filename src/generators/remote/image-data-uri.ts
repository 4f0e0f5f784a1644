// Frames sent inline to vendors as data URIs, labelled by their real format.
import { readFile } from 'node:fs/promises';

export function imageMimeType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return 'application/octet-stream';
}

export async function readImage(path: string): Promise<{ bytes: Buffer; mimeType: string }> {
  const bytes = await readFile(path);
  return { bytes, mimeType: imageMimeType(bytes) };
}

export async function imageDataUri(path: string): Promise<string> {
  const { bytes, mimeType } = await readImage(path);
  return `data:${mimeType};base64,${bytes.toString('base64')}`;
}
