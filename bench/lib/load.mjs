// One measured load run with either generator, counted by answerVerdict: req/s is the expected
// answers per second, not everything that came back. autocannon runs in this process; wrk is a
// separate C program (its Lua `response` hook counts statuses and samples bodies, which costs it a
// little, but far less than autocannon's JavaScript), so the two together show a generator's own cost.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { answerVerdict } from './answer-verdict.mjs';

const run = promisify(execFile);
const SAMPLE_SEPARATOR = '\n--WRK-SAMPLE--\n';

/**
 * @typedef {object} LoadSpec
 * @property {'autocannon'|'wrk'} generator
 * @property {string} url
 * @property {string} [method]
 * @property {Record<string,string>} [headers]
 * @property {string} [body]
 * @property {number} [connections]   default 64
 * @property {number} seconds
 * @property {number} [warmupSeconds] default 2 (not counted; a wrong answer in it still makes the run dirty, an empty warm-up does not)
 * @property {number} expectStatus
 * @property {string} needle          a substring every sampled body must contain (cheap, checked by wrk in Lua)
 * @property {(body: string) => boolean} checkBody  full shape check of sampled bodies
 * @property {number} [sampleEvery]   check one body in this many (default 50)
 * @property {string} [uniqueHeader]  send a fresh value of this header with every request (Idempotency-Key)
 */

/** @param {LoadSpec} spec */
export async function measureLoad(spec) {
  const runner = spec.generator === 'wrk' ? wrkRun : autocannonRun;
  const warmup = await runner({ ...spec, seconds: spec.warmupSeconds ?? 2 });
  const measured = await runner(spec);
  const verdict = answerVerdict(measured.tally);
  const warm = answerVerdict(warmup.tally);
  const problems = [
    ...verdict.problems,
    ...warm.problems.filter((p) => !p.startsWith('no body') && !p.startsWith('no answer')).map((p) => `warm-up: ${p}`),
  ];
  return {
    generator: spec.generator,
    connections: spec.connections ?? 64,
    seconds: measured.seconds,
    rps: verdict.ok / measured.seconds,
    ok: verdict.ok,
    other: verdict.other,
    p50: measured.p50,
    p99: measured.p99,
    max: measured.max,
    clean: problems.length === 0,
    problems,
  };
}

function sampler(spec) {
  const every = spec.sampleEvery ?? 50;
  const state = { n: 0, checked: 0, failed: 0, firstBad: undefined };
  const check = (body) => {
    state.checked += 1;
    let good = false;
    try {
      good = body.includes(spec.needle) && spec.checkBody(body);
    } catch {
      good = false;
    }
    if (!good) {
      state.failed += 1;
      state.firstBad ??= body;
    }
    return good;
  };
  return { state, every, check };
}

async function autocannonRun(spec) {
  const s = sampler(spec);
  const headers = { ...(spec.headers ?? {}) };
  // autocannon replaces "[<id>]" anywhere in the request with a fresh id for every request.
  if (spec.uniqueHeader) headers[spec.uniqueHeader] = 'bench-[<id>]';
  const r = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers,
    body: spec.body,
    connections: spec.connections ?? 64,
    duration: spec.seconds,
    timeout: 10,
    idReplacement: Boolean(spec.uniqueHeader),
    verifyBody: (body) => {
      s.state.n += 1;
      return s.state.n % s.every === 0 ? s.check(body) : true;
    },
  });
  const statusCounts = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count]));
  return {
    seconds: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    tally: {
      expectStatus: spec.expectStatus,
      statusCounts,
      socketErrors: Math.max(0, r.errors - r.timeouts),
      timeouts: r.timeouts,
      bodiesChecked: s.state.checked,
      bodiesFailed: s.state.failed,
      firstBadBody: s.state.firstBad,
    },
  };
}

const luaString = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** The wrk script: counts answers by status per thread, samples bodies, reports JSON from done(). */
function wrkScript(spec, samplesFile) {
  const headers = Object.entries(spec.headers ?? {})
    .map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`)
    .join('\n');
  const unique = spec.uniqueHeader
    ? `
local sequence = 0
local own = nil
request = function()
  if own == nil then
    own = {}
    for k, v in pairs(wrk.headers) do own[k] = v end
  end
  sequence = sequence + 1
  own[${luaString(spec.uniqueHeader)}] = run_id .. "-" .. thread_id .. "-" .. sequence
  return wrk.format(nil, nil, own, nil)
end`
    : '';
  return `
wrk.method = ${luaString(spec.method ?? 'GET')}
${spec.body !== undefined ? `wrk.body = ${luaString(spec.body)}` : ''}
${headers}
run_id = ${luaString(`${process.pid}-${Date.now()}`)}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end
function init(args)
  statuses = {}
  checked = 0
  failed = 0
  sample = nil
  seen = 0
end
${unique}
local needle = ${luaString(spec.needle)}
local every = ${spec.sampleEvery ?? 50}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  seen = seen + 1
  if seen % every == 0 then
    checked = checked + 1
    if body == nil or not string.find(body, needle, 1, true) then failed = failed + 1 end
    sample = body
  end
end
function done(summary, latency, requests)
  local all = {}
  local c, f = 0, 0
  local out = io.open(${luaString(samplesFile)}, "w")
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do all[k] = (all[k] or 0) + v end
    c = c + t:get("checked")
    f = f + t:get("failed")
    local s = t:get("sample")
    if s then out:write(s, ${luaString(SAMPLE_SEPARATOR)}) end
  end
  out:close()
  local parts = {}
  for k, v in pairs(all) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  local e = summary.errors
  io.write(string.format('WRK_JSON {"statuses":{%s},"checked":%d,"failed":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%.1f,"p99_us":%.1f,"max_us":%.1f}\\n',
    table.concat(parts, ","), c, f, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;
}

async function wrkRun(spec) {
  const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-wrk-'));
  try {
    const script = join(dir, 'answers.lua');
    const samplesFile = join(dir, 'samples.txt');
    writeFileSync(script, wrkScript(spec, samplesFile));
    const connections = spec.connections ?? 64;
    const threads = Math.min(2, connections);
    const { stdout } = await run(
      'wrk',
      [
        '-t',
        String(threads),
        '-c',
        String(connections),
        '-d',
        `${spec.seconds}s`,
        '--timeout',
        '10s',
        '-s',
        script,
        spec.url,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const w = JSON.parse(line.slice('WRK_JSON '.length));
    // wrk checked the needle on every sampled body; the last sample of each thread also gets the full shape check.
    const samples = readFileSync(samplesFile, 'utf8')
      .split(SAMPLE_SEPARATOR)
      .filter((s) => s.length > 0);
    let failed = w.failed;
    let firstBad;
    for (const body of samples) {
      let good = false;
      try {
        good = spec.checkBody(body);
      } catch {
        good = false;
      }
      if (!good) {
        failed += 1;
        firstBad ??= body;
      }
    }
    return {
      seconds: w.duration_us / 1e6,
      p50: w.p50_us / 1000,
      p99: w.p99_us / 1000,
      max: w.max_us / 1000,
      tally: {
        expectStatus: spec.expectStatus,
        statusCounts: w.statuses,
        socketErrors: w.connect + w.read + w.write,
        timeouts: w.timeout,
        bodiesChecked: w.checked + samples.length,
        bodiesFailed: failed,
        firstBadBody: firstBad,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
