// Delivers job events to the operator's webhook endpoints by following the store-wide journal
// (job-journal.ts) from a cursor kept in the store. One API process at a time holds the follower's
// lease and delivers; the cursor moves past an entry only once every endpoint acknowledged it (2xx)
// or was given up on after max_attempts, so a delivery in flight when a process stops is sent again
// by whichever process follows next: at-least-once, under the same webhook-id and the same body
// (kept in the store until the cursor passes it). Deliveries of one job go out in journal order;
// different jobs' deliveries run side by side. A job may add its own endpoint (the `webhook` job
// option, signed with the job's derived secret): endpoints-for.ts decides who receives what.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '../config/schema.js';
import { displayUrl } from '../logging/redact.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { JournalEntry, JournalFollower } from '../jobs/job-journal.js';
import { toJobView } from '../jobs/job.js';
import { deliverWebhook } from './webhook-delivery.js';
import { configuredEndpoints, endpointsFor, type WebhookEndpoint } from './endpoints-for.js';
import type { JobSecretFor } from './job-webhook-secret.js';
import { nonPublicReason } from '../http/public-address.js';
import type { PublicJobOptions } from '../jobs/job-options.js';
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
}

const FOLLOWER = 'webhooks';
/** Deliveries read ahead and not yet settled, at most (in flight, backing off or waiting their turn). */
const MAX_OUTSTANDING = 256;
/**
 * Entries read ahead of the stored cursor, at most: settled ones wait there until every earlier one
 * settles, so an endpoint that is down delays the cursor, not the deliveries to the others.
 */
const MAX_WINDOW = 20_000;

interface Slot {
  id: string;
  done: boolean;
  /** A body was remembered under the entry id (forgotten when the cursor passes it). */
  memo: boolean;
}

/** One stretch of holding the lease. */
interface Term {
  abort: AbortController;
  committed: string | null;
  readCursor: string | null;
  window: Slot[];
  chains: Map<string, Promise<void>>;
  outstanding: number;
  renewedAt: number;
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

  constructor(private readonly options: WebhookDispatcherOptions) {
    const { config } = options;
    this.endpoints = configuredEndpoints(config);
    this.mapper = new WebhookEventMapper(config.progress_interval_seconds * 1000);
    this.follower = options.queue.follower(FOLLOWER);
    this.leaseMs = config.lease_seconds * 1000;
    this.pollMs = options.pollMs ?? 200;
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
    if (!term) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...term.chains.values()]), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    await this.advance(term).catch(() => undefined);
    term.abort.abort();
    this.term = null;
    await this.follower.release(this.owner).catch(() => undefined);
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
    this.term = { abort: new AbortController(), committed: cursor, readCursor: cursor, window: [], chains: new Map(), outstanding: 0, renewedAt: Date.now() };
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
    const room = Math.min(MAX_OUTSTANDING - term.outstanding, MAX_WINDOW - term.window.length);
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
    if (!(await this.follower.commit(term.committed, next, { owner: this.owner, forget }))) return false;
    term.committed = next;
    term.window.splice(0, k);
    return true;
  }

  private lose(term: Term): false {
    term.abort.abort();
    if (this.term === term) this.term = null;
    this.options.logger?.warn('webhook journal lease lost; another process delivers');
    return false;
  }

  private schedule(term: Term, entry: JournalEntry): void {
    const slot: Slot = { id: entry.id, done: false, memo: false };
    term.window.push(slot);
    const type = this.mapper.map(entry);
    const configured = type ? this.endpoints.filter((e) => e.events.has(type)) : [];
    const jobSecrets = this.options.jobSecrets;
    if (!type || (configured.length === 0 && !jobSecrets)) {
      slot.done = true;
      return;
    }
    term.outstanding += 1;
    const body = this.body(term, slot, entry, type);
    const ctx = { config: this.options.config, log: (jobId: string, line: string) => this.options.queue.appendLog(jobId, line), signal: term.abort.signal };
    const send = async (endpoint: WebhookEndpoint, text: string) => {
      // Checked again at delivery: a name that resolved to a public address at submission may not now.
      const refused = endpoint.publicOnly ? await nonPublicReason(endpoint.url) : null;
      if (refused) {
        await ctx.log(entry.jobId, `Webhook ${type} to ${displayUrl(endpoint.url)} not sent: ${refused}`).catch(() => undefined);
        return;
      }
      const result = await deliverWebhook(ctx, endpoint, { id: messageId(entry, endpoint), type, jobId: entry.jobId, body: text });
      if (result.outcome === 'gave_up') this.options.logger?.warn({ type, jobId: entry.jobId, problem: result.problem }, 'webhook delivery gave up');
    };
    // One chain per endpoint and job, set up in journal order: a job's deliveries to an endpoint go
    // out in that order, and an endpoint that is down holds up only its own deliveries. The job's own
    // endpoint is known once its body (which carries the job's options) is.
    const chained = (key: string, work: (text: string) => Promise<void>) => {
      const chain: Promise<void> = (term.chains.get(key) ?? Promise.resolve())
        .then(async () => {
          const text = await body;
          if (text === null || term.abort.signal.aborted) return;
          await work(text);
        })
        .catch((err: unknown) => this.options.logger?.error({ err, jobId: entry.jobId }, 'webhook delivery failed unexpectedly'))
        .then(() => { if (term.chains.get(key) === chain) term.chains.delete(key); });
      term.chains.set(key, chain);
      return chain;
    };
    const deliveries = configured.map((endpoint) => chained(`${endpoint.url}\n${entry.jobId}`, (text) => send(endpoint, text)));
    if (jobSecrets) {
      deliveries.push(chained(`own\n${entry.jobId}`, async (text) => {
        const own = endpointsFor(jobOf(text, entry.jobId), [], jobSecrets, { allowPrivate: this.options.config.allow_private_urls });
        for (const endpoint of own) if (endpoint.events.has(type)) await send(endpoint, text);
      }));
    }
    void Promise.all(deliveries).then(() => {
      term.outstanding -= 1;
      if (!term.abort.signal.aborted) slot.done = true;
      this.wake?.();
    });
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
      function done() { clearTimeout(timer); resolve(); }
      this.wake = () => { this.wake = null; done(); };
    });
  }
}

/** Stable per journal entry and endpoint, so a retry (in this process or the next) repeats it. */
function messageId(entry: JournalEntry, endpoint: WebhookEndpoint): string {
  const digest = createHash('sha256').update(`${entry.jobId}\n${entry.id}\n${endpoint.url}`).digest('base64url');
  return `msg_${digest.slice(0, 32)}`;
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
