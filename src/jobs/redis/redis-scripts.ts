// The Lua scripts of the Redis job store (lua/*.lua, named for their key count), loaded once at
// startup, with typed wrappers. Each script gets lua/common.lua and a prelude generated from
// job-state.ts, job.ts and queue-keys.ts, so its guards follow the one state machine and its keys
// the one list of key names.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { JOB_STATUSES, MAX_EVENTS, MAX_LOG_LINES, MAX_PROGRESS, TERMINAL_STATUSES, type JobStatus } from '../job.js';
import { LEASED_STATUSES, sourcesOf } from '../job-state.js';
import { RECORD_FIELDS } from './redis-job-record.js';
import { luaKeys } from './queue-keys.js';

const NAMES = [
  'submit-1',
  'discard-1',
  'remove-1',
  'cancel-1',
  'claim-1',
  'renew-1',
  'progress-1',
  'cost-1',
  'segment-1',
  'finish-1',
  'fail-1',
  'requeue-1',
  'append-log-1',
  'expired-1',
  'recover-1',
  'layout-1',
] as const;
type ScriptFile = (typeof NAMES)[number];

/** Entries the store-wide journal stream keeps, about (XADD MAXLEN ~ in lua/common.lua). */
export const JOURNAL_MAXLEN = 100_000;
/** The highest fair-queueing round: round · 2^32 + seq must stay an exact double (lua/common.lua ready_score). */
export const MAX_ROUND = 2 ** 21;
/** Ready jobs a claim looks at, at most, for one whose key is below its concurrent-job limit. */
export const CLAIM_SCAN = 1000;
/** Wake-up tokens kept, at most: enough for every idle worker process to hear of new work. */
export const MAX_WAKE_TOKENS = 256;
/** The key layout this code writes (lua/layout-1.lua adopts a store written through BullMQ). */
export const KEY_LAYOUT = '2';

function luaSet(statuses: readonly JobStatus[]): string {
  return `{ ${statuses.map((s) => `${s} = true`).join(', ')} }`;
}

/** The state machine as Lua tables (SOURCES[to][from] is true when `from → to` is allowed), the limits, and the key builders K. */
export function luaPrelude(): string {
  return [
    `local SOURCES = { ${JOB_STATUSES.map((to) => `${to} = ${luaSet(sourcesOf(to))}`).join(', ')} }`,
    `local LEASED = ${luaSet(LEASED_STATUSES)}`,
    `local TERMINAL = ${luaSet([...TERMINAL_STATUSES])}`,
    `local MAX_PROGRESS = ${MAX_PROGRESS}`,
    `local MAX_LOG_LINES = ${MAX_LOG_LINES}`,
    `local MAX_EVENTS = ${MAX_EVENTS}`,
    `local JOURNAL_MAXLEN = ${JOURNAL_MAXLEN}`,
    `local MAX_ROUND = ${MAX_ROUND}`,
    `local CLAIM_SCAN = ${CLAIM_SCAN}`,
    `local MAX_WAKE_TOKENS = ${MAX_WAKE_TOKENS}`,
    `local KEY_LAYOUT = '${KEY_LAYOUT}'`,
    luaKeys(),
  ].join('\n');
}

const readLua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** A script body with what every script gets first: the generated prelude and lua/common.lua. */
export function withCommon(body: string): string {
  return `${luaPrelude()}${readLua('common')}\n${body}`;
}

let sources: Map<ScriptFile, string> | null = null;
/** Full script text per file, read once per process. */
function scriptSources(): Map<ScriptFile, string> {
  sources ??= new Map(NAMES.map((name) => [name, withCommon(readLua(name))]));
  return sources;
}

const commandName = (file: ScriptFile) => `ttv_${file.replace(/-(\d)$/, '').replace(/-/g, '_')}`;

export type SubmitReply =
  /** record: the new record's values in RECORD_FIELDS order; rank: its 0-based place among the queued. */
  | { outcome: 'created'; id: string; round: number; rank: number; record: (string | null)[] }
  | { outcome: 'replayed' | 'key_mismatch'; id: string }
  | { outcome: 'queue_full'; scope: 'global' | 'owner'; queued: number }
  | { outcome: 'over_budget'; spentUsd: number }
  /** Redis ran it past its deadline and did nothing; lateMs: by how much. */
  | { outcome: 'expired'; lateMs: number };

/** A lease that expired by Redis's clock: its job, the token that held it, and the attempts it counted. */
export interface ExpiredLease {
  id: string;
  token: string;
  attempts: number;
}

export interface SubmitArgs {
  id: string;
  prompt: string;
  requestJson: string;
  createdAt: string;
  estimatedCostUsd: number | null;
  /** Owner-scoped idempotency key, or null. */
  idempotencyKey: string | null;
  requestHash: string;
  logLine: string;
  owner: string | null;
  maxQueued: number | null;
  maxQueuedForOwner: number | null;
  budgetLimitUsd: number | null;
  /** Redis time (ms since the epoch) after which the script refuses to run (redis-clock.ts). */
  deadlineMs: number;
}

/** The job store's scripts on one connection, under one key prefix, with one record TTL. */
export class JobScripts {
  constructor(
    private readonly redis: Redis,
    private readonly root: string,
    private readonly ttl: number,
  ) {
    for (const [file, lua] of scriptSources()) {
      if (!(commandName(file) in redis)) redis.defineCommand(commandName(file), { numberOfKeys: 1, lua });
    }
  }

  private call<T>(file: ScriptFile, ...args: (string | number)[]): Promise<T> {
    return (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[commandName(file)]!(
      this.root,
      ...args,
    );
  }

  async submit(a: SubmitArgs): Promise<SubmitReply> {
    const reply = await this.call<(string | null)[]>(
      'submit-1',
      a.id,
      a.prompt,
      a.requestJson,
      a.createdAt,
      JSON.stringify(a.estimatedCostUsd),
      a.idempotencyKey ?? '',
      a.requestHash,
      a.logLine,
      this.ttl,
      a.owner ?? '',
      a.maxQueued ?? '',
      a.maxQueuedForOwner ?? '',
      a.budgetLimitUsd ?? '',
      a.deadlineMs,
      ...RECORD_FIELDS,
    );
    const [outcome, x, y] = reply;
    if (outcome === 'created')
      return { outcome, id: x!, round: Number(y), rank: Number(reply[3]), record: reply.slice(4) };
    if (outcome === 'queue_full') return { outcome, scope: x as 'global' | 'owner', queued: Number(y) };
    if (outcome === 'over_budget') return { outcome, spentUsd: Number(x) };
    if (outcome === 'expired') return { outcome, lateMs: Number(x) };
    return { outcome: outcome as 'replayed' | 'key_mismatch', id: x! };
  }

  async discard(id: string): Promise<boolean> {
    return (await this.call<number>('discard-1', id)) === 1;
  }

  remove(id: string): Promise<'removed' | 'not_terminal' | 'not_found'> {
    return this.call('remove-1', id);
  }

  async cancel(a: {
    id: string;
    now: string;
    logLine: string;
  }): Promise<{ outcome: 'canceled' | 'terminal' | 'not_found'; previous: string }> {
    const [outcome, previous] = await this.call<[string, string]>('cancel-1', a.id, a.now, a.logLine, this.ttl);
    return { outcome: outcome as 'canceled' | 'terminal' | 'not_found', previous };
  }

  /** The next claimable job under the lease `token`: the record as claimed (RECORD_FIELDS order), or null when none is. */
  async claim(a: { token: string; now: string; leaseMs: number }): Promise<(string | null)[] | null> {
    const reply = await this.call<(string | null)[]>('claim-1', a.token, a.now, this.ttl, a.leaseMs, ...RECORD_FIELDS);
    return reply[0] === 'claimed' ? reply.slice(2) : null;
  }

  async expired(limit: number): Promise<ExpiredLease[]> {
    const flat = await this.call<string[]>('expired-1', limit);
    const leases: ExpiredLease[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3)
      leases.push({ id: flat[i]!, token: flat[i + 1]!, attempts: Number(flat[i + 2]) });
    return leases;
  }

  recover(a: {
    lease: ExpiredLease;
    deadlineMs: number;
    mode: 'requeue' | 'fail';
    error: string;
    logLine: string;
    now: string;
  }): Promise<'recovered' | 'late' | 'alive' | 'gone'> {
    return this.call('recover-1', a.lease.id, a.lease.token, a.deadlineMs, a.mode, a.error, a.logLine, a.now, this.ttl);
  }

  /** Adopts a store written through BullMQ (once per store): true when it did. */
  async layout(): Promise<boolean> {
    return (await this.call<number>('layout-1')) === 1;
  }

  renew(a: { id: string; token: string; leaseMs: number }): Promise<'ok' | 'canceled' | 'lost'> {
    return this.call('renew-1', a.id, a.token, a.leaseMs);
  }

  async progress(a: {
    id: string;
    token: string;
    progress: number;
    stage: string | null;
    logLine: string | null;
  }): Promise<boolean> {
    return (
      (await this.call<number>('progress-1', a.id, a.token, a.progress, a.stage ?? '', a.logLine ?? '', this.ttl)) === 1
    );
  }

  async cost(a: { id: string; token: string; usd: number | null }): Promise<boolean> {
    return (await this.call<number>('cost-1', a.id, a.token, JSON.stringify(a.usd))) === 1;
  }

  async recordSegment(a: { id: string; token: string; segment: number; recordJson: string }): Promise<boolean> {
    return (await this.call<number>('segment-1', a.id, a.token, a.segment, a.recordJson, this.ttl)) === 1;
  }

  async finish(a: {
    id: string;
    token: string;
    now: string;
    artifactUri: string;
    artifactKey: string;
    gcsUri: string | null;
    logLine: string;
    durationSeconds: number;
  }): Promise<boolean> {
    return (
      (await this.call<number>(
        'finish-1',
        a.id,
        a.token,
        a.now,
        a.artifactUri,
        a.artifactKey,
        JSON.stringify(a.gcsUri),
        a.logLine,
        this.ttl,
        a.durationSeconds,
      )) === 1
    );
  }

  async fail(a: { id: string; token: string; now: string; error: string; logLine: string }): Promise<boolean> {
    return (await this.call<number>('fail-1', a.id, a.token, a.now, a.error, a.logLine, this.ttl)) === 1;
  }

  async requeue(a: { id: string; token: string; logLine: string; refundAttempt: boolean }): Promise<boolean> {
    return (await this.call<number>('requeue-1', a.id, a.token, a.logLine, a.refundAttempt ? 1 : 0, this.ttl)) === 1;
  }

  async appendLog(a: { id: string; logLine: string }): Promise<boolean> {
    return (await this.call<number>('append-log-1', a.id, a.logLine, this.ttl)) === 1;
  }
}
