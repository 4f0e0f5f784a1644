// The shape scan ahead of JSON.parse: depth and entries (object keys plus array items) are counted
// outside strings only, escapes included, and the scan stops at the first bound crossed.
import { describe, expect, it } from 'vitest';
import { JsonShapeScanner, jsonShapeProblem as shapeOfBytes, parseBoundedJson } from '../../../src/api/bounded-json.js';
import { ApiError } from '../../../src/errors/api-error.js';

const jsonShapeProblem = (text: string, b: { maxDepth: number; maxEntries: number }) =>
  shapeOfBytes(Buffer.from(text), b);
const bounds = { maxDepth: 4, maxEntries: 5 };
const DEEP = 'nests deeper than 4 levels (server.max_json_depth)';
const MANY = 'has more than 5 object keys and array items (server.max_json_entries)';

describe('jsonShapeProblem', () => {
  it('counts object keys and array items, empty containers included as items', () => {
    expect(jsonShapeProblem('{"a":1,"b":[1,2]}', bounds)).toBeNull();
    expect(jsonShapeProblem('{"a":1,"b":[1,2,3,4]}', bounds)).toBe(MANY);
    expect(jsonShapeProblem('[[],[],[],[],[]]', bounds)).toBeNull();
    expect(jsonShapeProblem('[[],[],[],[],[],[]]', bounds)).toBe(MANY);
    expect(jsonShapeProblem('[ "a" , {} , true , null , -1.5e3 ]', bounds)).toBeNull();
    expect(jsonShapeProblem('[ "a" , {} , true , null , -1.5e3 , 0 ]', bounds)).toBe(MANY);
  });

  it('counts nesting depth, the outer value being level 1', () => {
    expect(jsonShapeProblem('{"a":{"b":{"c":{"d":1}}}}', bounds)).toBeNull();
    expect(jsonShapeProblem('{"a":{"b":{"c":{"d":{}}}}}', bounds)).toBe(DEEP);
    expect(
      jsonShapeProblem(`${'['.repeat(3_400_000)}${']'.repeat(3_400_000)}`, { maxDepth: 16, maxEntries: 1000 }),
    ).toBe('nests deeper than 16 levels (server.max_json_depth)');
  });

  it('ignores brackets, colons and commas inside strings, escaped quotes and backslashes included', () => {
    expect(jsonShapeProblem('{"a\\":b,c,d,e,f,g":"x\\\\","b":"[[[[[[,,,,,,"}', bounds)).toBeNull();
    expect(jsonShapeProblem('"\\\\\\"[[[[[["', bounds)).toBeNull();
    expect(jsonShapeProblem('["\\\\", "[[[[[["]', bounds)).toBeNull();
  });

  it('reads UTF-8 bytes: multi-byte characters never look like structure', () => {
    expect(jsonShapeProblem('{"ключ":"値[[[[[[","😀":"{{{{{"}', bounds)).toBeNull();
    expect(parseBoundedJson(Buffer.from('{"ключ":"値"}'), bounds, 'body')).toEqual({ ключ: '値' });
    const bad = (() => {
      try {
        parseBoundedJson(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), bounds, 'body');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect((bad as ApiError).message).toBe('body: is not valid UTF-8');
  });

  it('leaves syntax to the parser', () => {
    expect(jsonShapeProblem('{"unterminated', bounds)).toBeNull();
    expect(jsonShapeProblem(']]]]}}}{', bounds)).toBeNull();
  });
});

describe('JsonShapeScanner', () => {
  const texts = [
    '{"a\\":b,c,d,e,f,g":"x\\\\","b":"[[[[[[,,,,,,"}',
    '["\\\\", "[[[[[[", "\\"]]]]]"]',
    '{"a":{"b":{"c":{"d":{}}}}}',
    '[1,2,3,"4,5",{"x":[6]}]',
    '{"ключ":"値[[[[[[","😀":"{{{{{"}',
  ];

  it('finds the same in a body fed in chunks as in the whole, wherever the chunks are cut', () => {
    for (const text of texts) {
      const bytes = Buffer.from(text);
      const whole = shapeOfBytes(bytes, bounds);
      for (let cut = 1; cut < bytes.length; cut += 1) {
        const scanner = new JsonShapeScanner(bounds);
        const first = scanner.push(bytes.subarray(0, cut));
        expect(first ?? scanner.push(bytes.subarray(cut)), `${text} cut at ${cut}`).toBe(whole);
      }
      const byteWise = new JsonShapeScanner(bounds);
      let found: string | null = null;
      for (let i = 0; i < bytes.length && !found; i += 1) found = byteWise.push(bytes.subarray(i, i + 1));
      expect(found, `${text} byte by byte`).toBe(whole);
    }
  });

  it('keeps its verdict once a bound is crossed', () => {
    const scanner = new JsonShapeScanner(bounds);
    expect(scanner.push(Buffer.from('[[[[['))).toBe(DEEP);
    expect(scanner.push(Buffer.from(']]]]]'))).toBe(DEEP);
  });
});

describe('parseBoundedJson', () => {
  it('parses within the bounds and answers 400 naming the field otherwise', () => {
    expect(parseBoundedJson('{"prompt":"A lake."}', bounds, 'body')).toEqual({ prompt: 'A lake.' });
    const deep = (() => {
      try {
        parseBoundedJson('[[[[[1]]]]]', bounds, 'options');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(deep).toBeInstanceOf(ApiError);
    expect((deep as ApiError).message).toBe(`options: ${DEEP}`);
    const proto = (() => {
      try {
        parseBoundedJson('{"__proto__":{"x":1}}', bounds, 'body');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect((proto as ApiError).message).toBe('body: is not valid JSON');
  });
});
