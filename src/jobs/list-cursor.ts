// The opaque list cursor of every adapter: the position (job sequence number) of the last job served.
import { InvalidCursorError } from '../errors/invalid-cursor-error.js';

const SEQ = /^s([1-9][0-9]{0,15})$/;

export function encodeListCursor(seq: number | string): string {
  return Buffer.from(`s${seq}`, 'utf8').toString('base64url');
}

/** The sequence number a cursor names; InvalidCursorError for one no adapter issued. */
export function decodeListCursor(cursor: string): number {
  const match = SEQ.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError();
  return Number(match[1]);
}
