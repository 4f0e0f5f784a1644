// Delivers job events to the operator's webhook endpoints by following the store-wide journal
// (job-journal.ts) from a cursor kept in the store. One API process at a time holds the follower's
// lease and delivers; the cursor moves past an entry only once every endpoint acknowledged it (2xx)
// or was given up on after max_attempts, so a delivery in flight when a process stops is sent again
// by whichever process follows next: at-least-once, under the same webhook-id and the same body
// (kept in the store until the cursor passes it). Deliveries of one job go out in journal order;
// different jobs' deliveries run side by side, each attempt in its endpoint host's lane
// (delivery-lanes.ts): a slow host holds up its own deliveries only, and with them at most
// webhooks.host_backlog entries of the read-ahead window (past that its new deliveries are given up
// at once), so the journal keeps being read for everyone else. A body is built when its entry is
// read (the job as it was then) and kept in the store, not in memory, until its turn comes. A job
// may add its own endpoint (the `webhook` job option, signed with the job's derived secret):
// endpoints-for.ts decides who receives what.
// Order across restarts: the cursor waits for the slowest entry, so a new process re-reads entries
// whose later events (of the same job) an endpoint already accepted; sending them again would put an
// old event after a newer one, even after the job's terminal event. So each job keeps, in the store,
// the newest entry each endpoint settled (accepted, or given up on) — its "marks" — written before the
// next delivery of that job to that endpoint starts, and an entry at or before its endpoint's mark is
// not sent. The marks go when the cursor passes the job's terminal entry. Progress thinning is
// re-derived by a new process, which may then send a progress event the first one skipped, but only
// while nothing later of that job has reached that endpoint: per job, every endpoint sees events in
// journal order and nothing after the terminal event it accepted.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '../config/schema.js';
import { displayUrl } from '../logging/redact.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { compareJournalIds, type JournalEntry, type JournalFollower } from '../jobs/job-journal.js';
import { toJobView } from '../jobs/job.js';
import { deliverWebhook, laneOf, type DeliveryContext } from './webhook-delivery.js';
import { configuredEndpoints, endpointsFor, type WebhookEndpoint } from './endpoints-for.js';
import type { JobSecretFor } from './job-webhook-secret.js';
import { OutboundHttp, type Resolver } from '../http/outbound-http.js';
import { DeliveryLanes } from './delivery-lanes.js';
import type { PublicJobOptions } from '../jobs/stored-job-options.js';
import { entrySnapshot, WebhookEventMapper, type WebhookEvent } from './webhook-events.js';

export type { WebhookEvent } from './webhook-events.js';

export interface WebhookDispatcherOptions {
  config: WebhooksConfig;
  queue: Pick<JobQueue, 'journal' | 'follower' | 'get' | 'appendLog'>;
  logger?: Logger;
  /** How often the lease holder looks for new journal entries (ms). */
  pollMs?: number;
  /** Jobs may carry their own webhook (server.job_options has `webhook`): its secret per job id. */
  jobSecrets?: JobSecretFor;
  /** How endpoint host names resolve; default: the process resolver (dns.lookup). */
  resolve?: Resolver;
}

const FOLLOWER = 'webhooks';
/** Entries whose body is being built (read from the job store and remembered), at most. */
const MAX_PREPARING = 256;
/**
 * Entries read ahead of the stored cursor, at most: settled ones wait there until every earlier one
 * settles, so an endpoint that is down delays the cursor, not the deliveries to the others. An
 * unsettled entry costs a few hundred bytes here (its body waits in the store).
 */
const MAX_WINDOW = 20_000;

interface Slot {
  id: string;
  done: boolean;
  /** A body was remembered under the entry id (forgotten when the cursor passes it). */
  memo: boolean;
  /** The job whose terminal event this entry is: its marks are forgotten when the cursor passes it. */
  endsJob: string | null;
}

/** Per endpoint (markKey), the id of the newest entry of one job that endpoint settled. */
type Marks = Record<string, string>;

/** One stretch of holding the lease. */
interface Term {
  abort: AbortController;
  committed: string | null;
  readCursor: string | null;
  window: Slot[];
  chains: Map<string, Promise<void>>;
  preparing: number;
  renewedAt: number;
  /** The marks of jobs this term delivered to, read from the store once per job and term. */
  marks: Map<string, Promise<Marks>>;
}

export class WebhookDispatcher {
  private readonly endpoints: WebhookEndpoint[];
  private readonly mapper: WebhookEventMapper;
  private readonly follower: JournalFollower;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private closed = false;
  private initialized = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private term: Term | null = null;
  private storeProblem = false;
  private readonly lanes: DeliveryLanes;
  private readonly http: DeliveryContext['http'];
  /** Deliveries per endpoint host not yet settled (waiting, in flight or backing off). */
  private readonly backlog = new Map<string, number>();

  constructor(private readonly options: WebhookDispatcherOptions) {
    const { config } = options;
    this.endpoints = configuredEndpoints(config);
    this.mapper = new WebhookEventMapper(config.progress_interval_seconds * 1000);
    this.follower = options.queue.follower(FOLLOWER);
    this.leaseMs = config.lease_seconds * 1000;
    this.pollMs = options.pollMs ?? 200;
    this.lanes = new DeliveryLanes(config.host_concurrency, config.max_in_flight);
    this.http = {
      trusted: new OutboundHttp({ publicOnly: false, resolve: options.resolve }),
      publicOnly: new OutboundHttp({ publicOnly: true, resolve: options.resolve }),
    };
  }

  get enabled(): boolean {
    return this.endpoints.length > 0 || this.options.jobSecrets !== undefined;
  }

  /** Starts following the journal (API processes only); a no-op without endpoints. */
  start(): void {
    if (!this.enabled || this.closed || this.loop) return;
    this.loop = this.run();
  }

  /**
   * Stops following: deliveries in flight get up to graceMs, what they finished is committed, the
   * rest is left to the next process (the lease is released so it can take over at once).
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.loop;
    const term = this.term;
    if (!term) {
      await this.closeClients();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...term.chains.values()]),
      new Promise((r) => {
        timer = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await this.advance(term).catch(() => undefined);
    term.abort.abort();
    this.term = null;
    await this.follower.release(this.owner).catch(() => undefined);
    await this.closeClients();
  }

  private async closeClients(): Promise<void> {
    await Promise.all([this.http.trusted.close(), this.http.publicOnly.close()]).catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      let busy = false;
      try {
        const term = this.term ?? (await this.acquire());
        if (term) busy = await this.step(term);
        if (this.storeProblem) this.options.logger?.info('webhook journal reachable again');
        this.storeProblem = false;
      } catch (err) {
        if (!this.storeProblem) this.options.logger?.warn({ err }, 'webhook journal unavailable; retrying');
        this.storeProblem = true;
        await this.pause(1000);
        continue;
      }
      if (!busy) await this.pause(this.term ? this.pollMs : Math.min(1000, this.leaseMs / 3));
    }
  }

  private async acquire(): Promise<Term | null> {
    if (!this.initialized) {
      await this.follower.init(false);
      this.initialized = true;
    }
    if (!(await this.follower.lease(this.owner, this.leaseMs))) return null;
    const { cursor } = await this.follower.state();
    this.mapper.reset();
    this.term = {
      abort: new AbortController(),
      committed: cursor,
      readCursor: cursor,
      window: [],
      chains: new Map(),
      preparing: 0,
      renewedAt: Date.now(),
      marks: new Map(),
    };
    this.options.logger?.info({ cursor }, 'webhook dispatcher holds the journal lease (this process delivers)');
    return this.term;
  }

  /** Renews the lease, schedules new entries, moves the cursor. True when it read entries. */
  private async step(term: Term): Promise<boolean> {
    if (Date.now() - term.renewedAt > this.leaseMs / 3) {
      if (!(await this.follower.lease(this.owner, this.leaseMs))) return this.lose(term);
      term.renewedAt = Date.now();
    }
    let read = 0;
    const room = Math.min(MAX_PREPARING - term.preparing, MAX_WINDOW - term.window.length);
    if (room > 0) {
      const entries = await this.options.queue.journal(term.readCursor, room);
      for (const entry of entries) this.schedule(term, entry);
      if (entries.length) term.readCursor = entries[entries.length - 1]!.id;
      read = entries.length;
    }
    if (!(await this.advance(term))) return this.lose(term);
    return read > 0;
  }

  /** Commits the cursor past the finished prefix of the window. False when the lease is gone. */
  private async advance(term: Term): Promise<boolean> {
    let k = 0;
    while (k < term.window.length && term.window[k]!.done) k += 1;
    if (k === 0) return true;
    const passed = term.window.slice(0, k);
    const next = passed[k - 1]!.id;
    const forget = passed.filter((s) => s.memo).map((s) => s.id);
    const ended = passed.map((s) => s.endsJob).filter((id): id is string => id !== null);
    forget.push(...ended.map(marksKey));
    if (!(await this.follower.commit(term.committed, next, { owner: this.owner, forget }))) return false;
    term.committed = next;
    term.window.splice(0, k);
    for (const jobId of ended) term.marks.delete(jobId);
    return true;
  }

  private lose(term: Term): false {
    term.abort.abort();
    if (this.term === term) this.term = null;
    this.options.logger?.warn('webhook journal lease lost; another process delivers');
    return false;
  }

  private schedule(term: Term, entry: JournalEntry): void {
    const slot: Slot = { id: entry.id, done: false, memo: false, endsJob: null };
    term.window.push(slot);
    const type = this.mapper.map(entry);
    if (type === 'job.finished' || type === 'job.failed' || type === 'job.canceled') slot.endsJob = entry.jobId;
    const configured = type ? this.endpoints.filter((e) => e.events.has(type)) : [];
    const jobSecrets = this.options.jobSecrets;
    if (!type || (configured.length === 0 && !jobSecrets)) {
      slot.done = true;
      return;
    }
    // The body is built now (the job as it is when its entry is read) and kept in the store; what
    // stays here until the deliveries' turn is the job's own endpoint, if any.
    term.preparing += 1;
    const prepared = this.body(term, slot, entry, type)
      .then((text) =>
        text === null
          ? null
          : {
              own: jobSecrets
                ? endpointsFor(jobOf(text, entry.jobId), [], jobSecrets, {
                    allowPrivate: this.options.config.allow_private_urls,
                  })
                : [],
            },
      )
      .finally(() => {
        term.preparing -= 1;
        this.wake?.();
      });
    // One chain per endpoint and job, set up in journal order: a job's deliveries to an endpoint go
    // out in that order, and an endpoint that is down holds up only its own deliveries. The job's own
    // endpoint is known once its body (which carries the job's options) is.
    const chained = (key: string, work: (own: WebhookEndpoint[]) => Promise<void>) => {
      const chain: Promise<void> = (term.chains.get(key) ?? Promise.resolve())
        .then(async () => {
          const ready = await prepared;
          if (ready === null || term.abort.signal.aborted) return;
          await work(ready.own);
        })
        .catch((err: unknown) =>
          this.options.logger?.error({ err, jobId: entry.jobId }, 'webhook delivery failed unexpectedly'),
        )
        .then(() => {
          if (term.chains.get(key) === chain) term.chains.delete(key);
        });
      term.chains.set(key, chain);
      return chain;
    };
    const deliveries = configured.map((endpoint) =>
      chained(`${endpoint.url}\n${entry.jobId}`, () => this.send(term, slot, entry, type, endpoint)),
    );
    if (jobSecrets) {
      deliveries.push(
        chained(`own\n${entry.jobId}`, async (own) => {
          for (const endpoint of own) if (endpoint.events.has(type)) await this.send(term, slot, entry, type, endpoint);
        }),
      );
    }
    void Promise.all(deliveries).then(() => {
      if (!term.abort.signal.aborted) slot.done = true;
      this.wake?.();
    });
  }

  /** One entry to one endpoint, unless the endpoint's host already has host_backlog deliveries waiting. */
  private async send(
    term: Term,
    slot: Slot,
    entry: JournalEntry,
    type: WebhookEvent,
    endpoint: WebhookEndpoint,
  ): Promise<void> {
    const { config, logger } = this.options;
    const log = (jobId: string, line: string) => this.options.queue.appendLog(jobId, line);
    const host = laneOf(endpoint.url);
    const waiting = this.backlog.get(host) ?? 0;
    if (waiting >= config.host_backlog) {
      await log(
        entry.jobId,
        `Webhook ${type} to ${displayUrl(endpoint.url)} not sent: ${waiting} deliveries to this host are waiting (webhooks.host_backlog)`,
      ).catch(() => undefined);
      logger?.warn({ type, jobId: entry.jobId, host, waiting }, 'webhook not sent: the endpoint host backlog is full');
      return;
    }
    this.backlog.set(host, waiting + 1);
    try {
      const marks = await this.marksOf(term, entry.jobId);
      if (marks === null) return;
      const settled = marks[markKey(endpoint)];
      // This endpoint already settled this entry or a later one of the job (a previous process did).
      if (settled !== undefined && compareJournalIds(entry.id, settled) <= 0) return;
      // From the store: every attempt, here or in the next process, sends the bytes first built.
      const text = await this.body(term, slot, entry, type);
      if (text === null || term.abort.signal.aborted) return;
      const ctx: DeliveryContext = { config, log, signal: term.abort.signal, lanes: this.lanes, http: this.http };
      const result = await deliverWebhook(ctx, endpoint, {
        id: messageId(entry, endpoint),
        type,
        jobId: entry.jobId,
        body: text,
      });
      if (result.outcome === 'gave_up')
        logger?.warn({ type, jobId: entry.jobId, problem: result.problem }, 'webhook delivery gave up');
      if (result.outcome !== 'aborted') await this.settle(term, entry, marks, endpoint);
    } finally {
      const left = (this.backlog.get(host) ?? 1) - 1;
      if (left > 0) this.backlog.set(host, left);
      else this.backlog.delete(host);
    }
  }

  /** The job's marks (read once per term); null when the term ended while the store was unreachable. */
  private async marksOf(term: Term, jobId: string): Promise<Marks | null> {
    let marks = term.marks.get(jobId);
    if (!marks) {
      marks = this.retried(
        term,
        async () => JSON.parse((await this.follower.recall(marksKey(jobId))) ?? '{}') as Marks,
      ).then((m) => m ?? {});
      term.marks.set(jobId, marks);
    }
    const read = await marks;
    return term.abort.signal.aborted ? null : read;
  }

  /** Records in the store that `endpoint` settled `entry`, before the job's next delivery to it starts. */
  private async settle(term: Term, entry: JournalEntry, marks: Marks, endpoint: WebhookEndpoint): Promise<void> {
    const key = markKey(endpoint);
    const previous = marks[key];
    if (previous !== undefined && compareJournalIds(entry.id, previous) <= 0) return;
    marks[key] = entry.id;
    // The whole object each time: one writer (the lease holder), and the last write carries every mark.
    await this.retried(term, () => this.follower.put(marksKey(entry.jobId), JSON.stringify(marks)));
  }

  /** Runs a store call until it succeeds or the term ends (store errors are waited out). */
  private async retried<T>(term: Term, call: () => Promise<T>): Promise<T | null> {
    while (!term.abort.signal.aborted) {
      try {
        return await call();
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return null;
  }

  /**
   * The entry's payload: remembered in the store the first time, so that every later attempt (here
   * or in the next process) sends the same bytes. Null when the job is gone (deleted or expired).
   * Store errors are waited out: the entry stays unacknowledged until its body is known.
   */
  private async body(term: Term, slot: Slot, entry: JournalEntry, type: WebhookEvent): Promise<string | null> {
    while (!term.abort.signal.aborted) {
      try {
        let body = await this.follower.recall(entry.id);
        if (body === null) {
          const job = await this.options.queue.get(entry.jobId);
          if (!job) return null;
          // The job as it is now, with the fields this entry records as they were then.
          const data = { ...toJobView(job), ...entrySnapshot(entry), queue_position: null };
          body = JSON.stringify({ type, timestamp: new Date(entry.at).toISOString(), data });
          await this.follower.remember(entry.id, body);
          body = (await this.follower.recall(entry.id)) ?? body;
        }
        slot.memo = true;
        return body;
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return null;
  }

  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

/** Stable per journal entry and endpoint, so a retry (in this process or the next) repeats it. */
function messageId(entry: JournalEntry, endpoint: WebhookEndpoint): string {
  const digest = createHash('sha256').update(`${entry.jobId}\n${entry.id}\n${endpoint.url}`).digest('base64url');
  return `msg_${digest.slice(0, 32)}`;
}

/** Where a job's marks are kept among the follower's memos (entry ids, the other memo keys, are numeric). */
function marksKey(jobId: string): string {
  return `marks:${jobId}`;
}

/** An endpoint's name in a job's marks: short, and the same in every process. */
function markKey(endpoint: WebhookEndpoint): string {
  return createHash('sha256').update(endpoint.url).digest('base64url').slice(0, 16);
}

/** The job id and options a stored body carries (its `data` is the job view). */
function jobOf(body: string, jobId: string): { id: string; options: PublicJobOptions | null } {
  try {
    const data = (JSON.parse(body) as { data?: { options?: PublicJobOptions | null } }).data;
    return { id: jobId, options: data?.options ?? null };
  } catch {
    return { id: jobId, options: null };
  }
}
