// Where Redis's clock stands relative to this process, so that a deadline this process sets can be
// checked by Redis with its own clock (TIME inside a script) whatever the skew between the hosts.
// The offset is measured off the request path (at start, then every SYNC_EVERY_MS) from one TIME
// round trip: Redis's reading lies between our send and our receipt, so the offset is known to
// within half the round trip, and deadlines are moved earlier by that much (never later). The local
// side is the monotonic clock, so a step of this host's wall clock between two syncs moves nothing.
// After a failover the new master is read at once (on reconnect); on a Cluster, TIME may be answered
// by another node than the store's slot owner, so the cluster's own clock skew (NTP-level) counts.
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

const SYNC_EVERY_MS = 10_000;
/** A reading whose round trip took longer than twice this (Redis stalled or busy) does not replace a good one. */
const GOOD_READING_MS = 50;

interface Offset {
  /** Redis ms minus local monotonic ms. */
  offsetMs: number;
  /** Half the round trip of the reading: how far the offset may be off. */
  uncertaintyMs: number;
}

export class RedisClock {
  private offset: Offset | null = null;
  private syncing: Promise<Offset> | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly resync = () => void this.sync().catch(() => undefined); // Redis down: the next submit syncs first
  private readonly reconnected = () => void this.sync(true).catch(() => undefined);

  constructor(private readonly redis: Redis) {
    this.resync();
    // A (re)connection may be to another server (Sentinel failover): read its clock at once.
    redis.on('ready', this.reconnected);
    this.timer = setInterval(this.resync, SYNC_EVERY_MS);
    this.timer.unref();
  }

  /**
   * The Redis time (ms) by which a command sent now must have run to be done within `budgetMs` of
   * this process's clock. Only the first call before any successful sync costs a round trip.
   */
  async deadline(budgetMs: number): Promise<number> {
    const { offsetMs, uncertaintyMs } = this.offset ?? (await this.sync());
    return Math.floor(performance.now() + offsetMs + budgetMs - uncertaintyMs);
  }

  /**
   * One TIME reading. It replaces the last unless it is much worse (a reading taken during a stall);
   * `replace`: always (the connection may now be to another server).
   */
  sync(replace = false): Promise<Offset> {
    this.syncing ??= (async () => {
      const sent = performance.now();
      const [seconds, micros] = await this.redis.time();
      const received = performance.now();
      const redisMs = Number(seconds) * 1000 + Number(micros) / 1000;
      const reading = { offsetMs: redisMs - (sent + received) / 2, uncertaintyMs: (received - sent) / 2 };
      if (replace || !this.offset || reading.uncertaintyMs <= Math.max(GOOD_READING_MS, this.offset.uncertaintyMs))
        this.offset = reading;
      return this.offset;
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  close(): void {
    clearInterval(this.timer);
    this.redis.off('ready', this.reconnected);
  }
}
