// Every Redis key and channel of the job store, named once: KEY_TEMPLATES below. TypeScript builds
// keys through QueueKeys; the Lua scripts get the same builders as a generated table `K` (luaKeys(),
// prepended to every script by redis-scripts.ts), so no script spells a key name itself (a unit test
// checks the .lua files for literal key names).
import type { JobStatus } from '../job.js';

/**
 * Key names relative to the root "<prefix>:"; `{name}` is a part given per call, in this order. The
 * prefix carries the Cluster hash tag (clusterSafePrefix), so every key here lives in one slot.
 */
export const KEY_TEMPLATES = {
  /** A job record (hash of JSON-encoded values, redis-job-record.ts). */
  job: 'job:{id}',
  logs: 'logs:{id}',
  /** The job's own event stream. */
  events: 'events:{id}',
  /** The job's segment records (segment number → JSON), removed with the job. */
  segments: 'segments:{id}',
  /** Every job by sequence number. */
  jobs: 'jobs',
  status: 'status:{status}',
  ownerJobs: 'owner:{owner}:jobs',
  ownerStatus: 'owner:{owner}:status:{status}',
  /** An owner-scoped Idempotency-Key → job id. */
  idempotency: 'idem:{key}',
  /** An owner's spend in one month (YYYY-MM). */
  spend: 'spend:{owner}:{month}',
  /** An API key (src/access/redis/redis-key-store.ts); the claim reads its max_concurrent_jobs. */
  apiKey: 'apikey:{id}',
  /** An API key's id by the sha256 of its secret. */
  apiKeyByHash: 'apikey-hash:{hash}',
  /** Every API key id. */
  apiKeys: 'apikeys',
  /** Bumped by each revocation: the mark revocation watchers poll. */
  apiKeyRevocations: 'apikeys:revocations',
  /** The submission counter (a job's seq). */
  seq: 'seq',
  /** The fair-queueing round being served, and each owner's last round (lua/submit-1.lua). */
  round: 'round',
  turns: 'rr',
  /** Queued jobs in claim order: score = round · 2^32 + seq (lua/common.lua ready_score). */
  ready: 'ready',
  /** Leased jobs by lease expiry (Redis ms): where recovery finds the jobs of dead workers. */
  leases: 'leases',
  /** Wake-up tokens: idle workers block on this list (BLPOP); scripts that make work claimable push one. */
  wake: 'wake',
  /** Which layout the keys are in (lua/layout-1.lua). */
  layout: 'layout',
  /** The data-loss marker hash: instance_id, created_at[, data_lost_at, previous_instance_id] (redis-store-marker.ts). */
  meta: 'meta',
  /** Live workers: a sorted set of worker id → last heartbeat (ms). */
  workers: 'workers',
  /** Why a live worker takes no new job now (its gate, e.g. low disk): worker id → reason; absent when it takes them. */
  workersBlocked: 'workers:blocked',
  durationSum: 'stats:duration_sum',
  durationCount: 'stats:duration_count',
  /** The store-wide journal stream (written by the Lua event() helper). */
  journal: 'journal',
  /** Pub/sub: a canceled job's id. */
  cancelChannel: 'cancel',
  /** Pub/sub: the id of a job whose journal grew. */
  eventsChannel: 'events',
  /** A journal follower's cursor/counters hash, its lease and its stored delivery bodies. */
  follower: 'follower:{name}',
  followerLease: 'follower:{name}:lease',
  followerMemos: 'follower:{name}:memos',
} as const;

export type KeyName = keyof typeof KEY_TEMPLATES;

/** The template split into its fixed text and its parts: 'owner:{owner}:jobs' → ['owner:', 'owner', ':jobs']. */
function pieces(template: string): { texts: string[]; params: string[] } {
  const texts: string[] = [];
  const params: string[] = [];
  let rest = template;
  for (let m = /\{(\w+)\}/.exec(rest); m; m = /\{(\w+)\}/.exec(rest)) {
    texts.push(rest.slice(0, m.index));
    params.push(m[1]!);
    rest = rest.slice(m.index + m[0].length);
  }
  texts.push(rest);
  return { texts, params };
}

/** Each template split once (keys are built on every request). */
const PIECES = Object.fromEntries(Object.entries(KEY_TEMPLATES).map(([name, t]) => [name, pieces(t)])) as Record<
  KeyName,
  ReturnType<typeof pieces>
>;

/** The fixed text of every template (what a script must never spell out), e.g. 'owner:', ':status:'. */
export function keyTexts(): string[] {
  return [...new Set(Object.values(PIECES).flatMap((p) => p.texts.filter((s) => s !== '')))];
}

const luaString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The key builders as Lua: `local K = {...}` over KEYS[1] (the root "<prefix>:"). A template without
 * parts is a string (`K.ready`), one with parts a function taking them in order (`K.ownerStatus(owner, status)`).
 */
export function luaKeys(): string {
  const entries = Object.entries(PIECES).map(([name, { texts, params }]) => {
    const body = [
      'root',
      ...texts.flatMap((text, i) => [...(text ? [luaString(text)] : []), ...(i < params.length ? [params[i]!] : [])]),
    ].join(' .. ');
    return params.length === 0 ? `${name} = ${body}` : `${name} = function(${params.join(', ')}) return ${body} end`;
  });
  return `local K = (function(root) return {\n  ${entries.join(',\n  ')},\n} end)(KEYS[1])\n`;
}

export class QueueKeys {
  /** `prefix` is the configured key prefix without the trailing colon. */
  constructor(private readonly prefix: string) {}

  /** KEYS[1] of every job-store script: "<prefix>:". */
  get root(): string {
    return `${this.prefix}:`;
  }

  /** The key `name` with its parts filled in, in the template's order. */
  key(name: KeyName, ...parts: string[]): string {
    const { texts, params } = PIECES[name];
    if (parts.length !== params.length)
      throw new Error(`key ${name} takes ${params.length} part(s), got ${parts.length}`);
    return this.root + texts.map((text, i) => text + (parts[i] ?? '')).join('');
  }

  job(id: string): string {
    return this.key('job', id);
  }
  logs(id: string): string {
    return this.key('logs', id);
  }
  events(id: string): string {
    return this.key('events', id);
  }
  segments(id: string): string {
    return this.key('segments', id);
  }
  get jobs(): string {
    return this.key('jobs');
  }
  status(status: JobStatus): string {
    return this.key('status', status);
  }
  ownerJobs(owner: string): string {
    return this.key('ownerJobs', owner);
  }
  ownerStatus(owner: string, status: JobStatus): string {
    return this.key('ownerStatus', owner, status);
  }
  get ready(): string {
    return this.key('ready');
  }
  get leases(): string {
    return this.key('leases');
  }
  get wake(): string {
    return this.key('wake');
  }
  get meta(): string {
    return this.key('meta');
  }
  get workers(): string {
    return this.key('workers');
  }
  get workersBlocked(): string {
    return this.key('workersBlocked');
  }
  get durationSum(): string {
    return this.key('durationSum');
  }
  get durationCount(): string {
    return this.key('durationCount');
  }
  get cancelChannel(): string {
    return this.key('cancelChannel');
  }
  get journal(): string {
    return this.key('journal');
  }
  follower(name: string): { hash: string; lease: string; memos: string } {
    return {
      hash: this.key('follower', name),
      lease: this.key('followerLease', name),
      memos: this.key('followerMemos', name),
    };
  }
  get eventsChannel(): string {
    return this.key('eventsChannel');
  }
}
