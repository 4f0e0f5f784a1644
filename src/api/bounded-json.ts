// JSON from clients, bounded in shape before it is parsed: nesting depth and the number of entries
// (object keys plus array items) in one text. JSON.parse has neither limit, and what it builds from
// a 7 MB body of 700k keys or a 3.4M-deep array costs seconds of the event loop (and then every
// entry costs a validation problem). Hand-written because no maintained library checks these
// bounds without building the values first (secure-json-parse, which we use for the parse itself,
// only guards prototypes; streaming parsers tokenize the whole text in JS, slower than this scan).
// The scan is linear, skips strings natively (Buffer.indexOf), stops at the first bound it crosses,
// and never judges the syntax: what it lets through, secure-json-parse parses (and refuses) as before.
import secureJson from 'secure-json-parse';
import { validationError } from './errors/validation-error.js';

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
 * What is wrong with the shape of this JSON ("nests deeper than …"), or null when it is within
 * bounds. Reads the UTF-8 bytes, before they are decoded: every structural character is ASCII and
 * no byte of a multi-byte sequence is, so a refused body is never decoded at all.
 */
export function jsonShapeProblem(json: Buffer, bounds: JsonBounds): string | null {
  const { maxDepth, maxEntries } = bounds;
  const tooMany = `has more than ${maxEntries} object keys and array items (server.max_json_entries)`;
  // Per open container: OBJECT, EMPTY_ARRAY (no item seen yet) or ARRAY.
  const kinds = new Uint8Array(maxDepth + 2);
  let depth = 0;
  let entries = 0;
  for (let i = 0; i < json.length; i += 1) {
    const c = json[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    // The first item of an array is the first thing in it; later ones follow a comma.
    if (depth > 0 && kinds[depth] === EMPTY_ARRAY && c !== CLOSE_ARRAY) {
      kinds[depth] = ARRAY;
      if (++entries > maxEntries) return tooMany;
    }
    if (c === QUOTE) {
      // Skip the string (natively): to the next quote not escaped by an odd run of backslashes.
      for (;;) {
        const end = json.indexOf(QUOTE, i + 1);
        if (end < 0) return null; // unterminated: the parser refuses it
        let slashes = 0;
        while (end - 1 - slashes > i && json[end - 1 - slashes] === BACKSLASH) slashes += 1;
        i = end;
        if (slashes % 2 === 0) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return `nests deeper than ${maxDepth} levels (server.max_json_depth)`;
      kinds[depth] = c === OPEN_ARRAY ? EMPTY_ARRAY : OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth -= 1;
    } else if (c === COLON) {
      if (++entries > maxEntries) return tooMany;
    } else if (c === COMMA && depth > 0 && kinds[depth] !== OBJECT) {
      if (++entries > maxEntries) return tooMany;
    }
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses client JSON (a body's bytes, or a form field's text) within the bounds; shape, encoding,
 * syntax and prototype problems are a 400 ValidationError naming `field` ("body", or a form field).
 */
export function parseBoundedJson(json: Buffer | string, bounds: JsonBounds, field: string, invalid = 'is not valid JSON'): unknown {
  const problem = jsonShapeProblem(typeof json === 'string' ? Buffer.from(json) : json, bounds);
  if (problem) throw validationError([{ field, message: problem }]);
  let text: string;
  if (typeof json === 'string') {
    text = json;
  } else {
    try {
      text = utf8.decode(json);
    } catch {
      throw validationError([{ field, message: 'is not valid UTF-8' }]);
    }
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw validationError([{ field, message: invalid }]);
  }
}

export function jsonBounds(server: { max_json_depth: number; max_json_entries: number }): JsonBounds {
  return { maxDepth: server.max_json_depth, maxEntries: server.max_json_entries };
}
