// Key names are written once (queue-keys.ts KEY_TEMPLATES): the Lua scripts build every key through
// the generated `K` table, so no .lua file may spell a key name itself — not as a literal key
// argument, not as a fragment such as 'job:' glued to an id, and not by gluing text to the prefix.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEY_TEMPLATES, keyTexts, luaKeys } from '../../../src/jobs/redis/queue-keys.js';

const LUA_DIR = new URL('../../../src/jobs/redis/lua/', import.meta.url);

/** The source without comments, and its string literals (quotes removed). */
function scan(lua: string): { code: string; strings: string[] } {
  let code = '';
  const strings: string[] = [];
  for (let i = 0; i < lua.length;) {
    const c = lua[i]!;
    if (c === '-' && lua[i + 1] === '-') {
      const long = lua.startsWith('--[[', i);
      const end = long ? lua.indexOf(']]', i) + 2 : lua.indexOf('\n', i);
      i = end <= 0 || end < i ? lua.length : end;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < lua.length && lua[j] !== c) {
        if (lua[j] === '\\') {
          text += lua[j + 1] ?? '';
          j += 2;
        } else {
          text += lua[j];
          j += 1;
        }
      }
      strings.push(text);
      code += lua.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    code += c;
    i += 1;
  }
  return { code, strings };
}

/** Why `lua` spells a key name itself (empty when it does not). */
function literalKeyNames(lua: string): string[] {
  const { code, strings } = scan(lua);
  const problems: string[] = [];
  // A fragment of a key name with its separator ('job:', ':status:', 'workers:blocked'): a key glued by hand.
  const fragments = keyTexts().filter((t) => t.includes(':') && t.length > 1);
  for (const s of strings) {
    for (const f of fragments) if (s.includes(f)) problems.push(`string '${s}' contains the key fragment '${f}'`);
  }
  // A literal as the key argument of a command: redis.call('GET', 'seq').
  for (const m of code.matchAll(/redis\.p?call\(\s*(['"])[A-Za-z|]+\1\s*,\s*(['"])([^'"]*)\2/g))
    problems.push(`literal key '${m[3]}' in ${m[0]}`);
  // Text glued to the prefix (KEYS[1] .. 'x') or to anything named like it.
  for (const m of code.matchAll(/KEYS\[1\]\s*\.\.|\.\.\s*KEYS\[1\]/g))
    problems.push(`a key built from the prefix: ${m[0]}`);
  return problems;
}

const files = readdirSync(LUA_DIR)
  .filter((f) => f.endsWith('.lua'))
  .sort();

describe('Lua key names come from queue-keys.ts only', () => {
  it.each(files)('%s spells no key name', (file) => {
    expect(literalKeyNames(readFileSync(new URL(file, LUA_DIR), 'utf8'))).toEqual([]);
  });

  it('the check catches each way of spelling one', () => {
    expect(literalKeyNames("redis.call('ZCARD', p .. 'status:queued')")).not.toEqual([]);
    expect(literalKeyNames("local k = root .. 'owner:' .. o .. ':jobs'")).not.toEqual([]);
    expect(literalKeyNames("redis.call('INCR', 'seq')")).not.toEqual([]);
    expect(literalKeyNames('redis.call(\'PUBLISH\', "cancel", id)')).not.toEqual([]);
    expect(literalKeyNames('local key = KEYS[1] .. id')).not.toEqual([]);
    // What the scripts write instead, and field names and values, are fine.
    expect(
      literalKeyNames(
        "redis.call('ZADD', K.ownerStatus(o, 'queued'), seq, id) -- not 'job:' here\nredis.call('HGET', key, 'round')",
      ),
    ).toEqual([]);
  });

  it('generates one Lua builder per key name, over KEYS[1] only', () => {
    const lua = luaKeys();
    for (const name of Object.keys(KEY_TEMPLATES)) expect(lua).toContain(`  ${name} = `);
    expect(lua.match(/KEYS\[\d+\]/g)).toEqual(['KEYS[1]']);
  });
});
