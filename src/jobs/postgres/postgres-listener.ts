// The one LISTEN connection of a process on the PostgreSQL job store: a pg.Client of its own (a
// pooled connection would be handed to other queries), subscribed to the store's channels. Writers
// NOTIFY inside their transaction, so a notification arrives only for a committed write. Lost
// notifications (the connection dropped) only delay: after every reconnect 'reconnected' makes
// watchers re-read and idle workers look, and both poll anyway (idle's timeout, SSE heartbeats).
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PostgresConfig } from '../../config/schema.js';

/** The store's channel names: per schema, so that installations sharing a database do not hear each other. */
export interface PostgresChannels {
  /** New claimable work (a submission, a job handed back). */
  work: string;
  /** A job was canceled (payload: its id). */
  cancel: string;
  /** A job's journal grew (payload: its id). */
  journal: string;
}

export function postgresChannels(config: PostgresConfig): PostgresChannels {
  const tag = createHash('sha256').update(config.schema).digest('hex').slice(0, 16);
  return { work: `ttv_work_${tag}`, cancel: `ttv_cancel_${tag}`, journal: `ttv_journal_${tag}` };
}

const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5000;

/**
 * Emits 'work', 'cancel' (jobId), 'journal' (jobId) and 'reconnected' (after a (re)connect, when
 * notifications may have been missed). Connects on start() and reconnects with backoff until close().
 */
export class PostgresListener extends EventEmitter {
  private client: pg.Client | null = null;
  private started = false;
  private closed = false;
  private delay = RECONNECT_FIRST_MS;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: PostgresConfig,
    private readonly channels: PostgresChannels,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Starts listening (once; later calls do nothing). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  get listening(): boolean {
    return this.client !== null;
  }

  private async connect(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.config.url,
      application_name: 'ttv listener',
      connectionTimeoutMillis: 5000,
      keepAlive: true,
    });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      this.retry();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
    try {
      await client.connect();
      for (const channel of Object.values(this.channels)) await client.query(`LISTEN "${channel}"`);
    } catch {
      onLost();
      return;
    }
    if (this.closed || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delay = RECONNECT_FIRST_MS;
    this.emit('reconnected');
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => void this.connect(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
  }

  /** Hands a notification to this process's listeners (the NOTIFY reaches them too; a repeat is harmless). */
  deliver(channel: string, payload: string): void {
    this.dispatch(channel, payload);
  }

  private dispatch(channel: string, payload: string): void {
    if (channel === this.channels.work) this.emit('work');
    else if (channel === this.channels.cancel) this.emit('cancel', payload);
    else if (channel === this.channels.journal) this.emit('journal', payload);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
