// JSON from clients, bounded in shape before it is parsed: nesting depth and the number of entries
// (object keys plus array items) in one text. JSON.parse has neither limit, and what it builds from
// a 7 MB body of 700k keys or a 3.4M-deep array costs seconds of the event loop (and then every
// entry costs a validation problem). Hand-written because no maintained library checks these
// bounds without building the values first (secure-json-parse, which we use for the parse itself,
// only guards prototypes; streaming parsers tokenize the whole text in JS, slower than this scan).
// The scan is linear, skips strings natively (Buffer.indexOf), runs on the bytes as they arrive,
// stops at the first bound it crosses, and never judges the syntax: what it lets through,
// secure-json-parse parses (and refuses) as before.
import secureJson from 'secure-json-parse';
import { ValidationError } from '../errors/validation-error.js';

export interface JsonBounds {
  /** Deepest nesting of objects and arrays (the outer value is level 1). */
  maxDepth: number;
  /** Object keys plus array items, counted over the whole text. */
  maxEntries: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const OBJECT = 0;
const EMPTY_ARRAY = 1;
const ARRAY = 2;

/**
 * Scans JSON's UTF-8 bytes for its shape, chunk by chunk as they arrive (the body-limits hook feeds
 * it while the body is received, so a refused body is neither buffered nor decoded). Every
 * structural character is ASCII and no byte of a multi-byte sequence is, so bytes are enough.
 */
export class JsonShapeScanner {
  private readonly kinds: Uint8Array;
  private depth = 0;
  private entries = 0;
  private inString = false;
  /** The previous byte (maybe in the previous chunk) was a backslash inside a string. */
  private escaped = false;
  private problem: string | null = null;

  constructor(private readonly bounds: JsonBounds) {
    // Per open container: OBJECT, EMPTY_ARRAY (no item seen yet) or ARRAY.
    this.kinds = new Uint8Array(bounds.maxDepth + 2);
  }

  /** Scans the next bytes: the first bound crossed so far ("nests deeper than …"), or null. */
  push(chunk: Buffer): string | null {
    if (this.problem) return this.problem;
    const { maxDepth, maxEntries } = this.bounds;
    const { kinds } = this;
    // Positions of the next quote and backslash in this chunk, found natively and kept until passed
    // (-2: not looked for yet, -1: none left), so that a string is skipped in linear time.
    let nextQuote = -2;
    let nextSlash = -2;
    let i = 0;
    while (i < chunk.length) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i += 1;
          continue;
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
        if (nextSlash !== -1 && nextSlash < i) nextSlash = chunk.indexOf(BACKSLASH, i);
        if (nextSlash >= 0 && (nextQuote < 0 || nextSlash < nextQuote)) {
          this.escaped = true;
          i = nextSlash + 1;
        } else if (nextQuote >= 0) {
          this.inString = false;
          i = nextQuote + 1;
        } else {
          break; // the rest of the chunk is inside the string
        }
        continue;
      }
      const c = chunk[i]!;
      i += 1;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      // The first item of an array is the first thing in it; later ones follow a comma.
      if (this.depth > 0 && kinds[this.depth] === EMPTY_ARRAY && c !== CLOSE_ARRAY) {
        kinds[this.depth] = ARRAY;
        if (++this.entries > maxEntries) return this.refuse('entries');
      }
      if (c === QUOTE) {
        this.inString = true;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (++this.depth > maxDepth) return this.refuse('depth');
        kinds[this.depth] = c === OPEN_ARRAY ? EMPTY_ARRAY : OBJECT;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (this.depth > 0) this.depth -= 1;
      } else if (c === COLON || (c === COMMA && this.depth > 0 && kinds[this.depth] !== OBJECT)) {
        if (++this.entries > maxEntries) return this.refuse('entries');
      }
    }
    return null;
  }

  private refuse(bound: 'depth' | 'entries'): string {
    this.problem =
      bound === 'depth'
        ? `nests deeper than ${this.bounds.maxDepth} levels (server.max_json_depth)`
        : `has more than ${this.bounds.maxEntries} object keys and array items (server.max_json_entries)`;
    return this.problem;
  }
}

/** What is wrong with the shape of this JSON, or null when it is within bounds (syntax is the parser's). */
export function jsonShapeProblem(json: Buffer, bounds: JsonBounds): string | null {
  return new JsonShapeScanner(bounds).push(json);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses client JSON (a body's bytes, or a form field's text) within the bounds; shape, encoding,
 * syntax and prototype problems are a 400 ValidationError naming `field` ("body", or a form field).
 */
export function parseBoundedJson(
  json: Buffer | string,
  bounds: JsonBounds,
  field: string,
  options: { invalid?: string; scanned?: boolean } = {},
): unknown {
  const invalid = options.invalid ?? 'is not valid JSON';
  // A body scanned while it arrived (plugins/body-limits.ts) is not scanned again.
  const problem = options.scanned
    ? null
    : jsonShapeProblem(typeof json === 'string' ? Buffer.from(json) : json, bounds);
  if (problem) throw new ValidationError([{ field, message: problem }]);
  let text: string;
  if (typeof json === 'string') {
    text = json;
  } else {
    try {
      text = utf8.decode(json);
    } catch {
      throw new ValidationError([{ field, message: 'is not valid UTF-8' }]);
    }
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new ValidationError([{ field, message: invalid }]);
  }
}

export function jsonBounds(server: { max_json_depth: number; max_json_entries: number }): JsonBounds {
  return { maxDepth: server.max_json_depth, maxEntries: server.max_json_entries };
}
