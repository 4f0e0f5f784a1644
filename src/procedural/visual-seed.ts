// Deterministic visual parameters derived from a text: the same prompt always looks the same.
import { createHash } from 'node:crypto';

export interface VisualSeed {
  colorA: string;
  colorB: string;
  seed: number;
  speed: number;
}

export function visualSeed(text: string): VisualSeed {
  const h = createHash('sha256').update(text, 'utf8').digest();
  const hex = (offset: number) => `0x${h.subarray(offset, offset + 3).toString('hex')}`;
  return { colorA: hex(0), colorB: hex(3), seed: h.readUInt32BE(6) % 1_000_000, speed: 0.005 + (h[10]! / 255) * 0.03 };
}
