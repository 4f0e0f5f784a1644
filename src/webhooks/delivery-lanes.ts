// Shares webhook delivery attempts fairly between endpoint hosts: one lane per host with at most
// `perHost` attempts in flight, all lanes together at most `total`, and a freed slot offered to the
// waiting hosts in turn (round robin), not to whoever queued first. A slow endpoint (a tarpit that
// holds every connection until the timeout) so delays its own deliveries, not another host's.
// Hand-written: p-limit and p-queue have no per-key fairness, bottleneck's groups no shared cap.

interface Waiter {
  grant: () => void;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

export class DeliveryLanes {
  private readonly lanes = new Map<string, Lane>();
  /** Hosts with waiters, in the order they get their next turn (and the same hosts as a set). */
  private readonly rotation: string[] = [];
  private readonly inRotation = new Set<string>();
  private running = 0;

  constructor(
    private readonly perHost: number,
    private readonly total: number,
  ) {}

  /** Runs `work` once the host's lane has room and it is the host's turn; rejects (AbortError) if `signal` fires while waiting. */
  async run<T>(host: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(host, signal);
    try {
      return await work();
    } finally {
      this.release(host);
    }
  }

  /** Attempts in flight and waiting, for one host (tests and logs). */
  load(host: string): { running: number; waiting: number } {
    const lane = this.lanes.get(host);
    return { running: lane?.running ?? 0, waiting: lane?.waiting.length ?? 0 };
  }

  private lane(host: string): Lane {
    let lane = this.lanes.get(host);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(host, lane);
    }
    return lane;
  }

  private acquire(host: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const lane = this.lane(host);
    if (lane.waiting.length === 0 && lane.running < this.perHost && this.running < this.total) {
      lane.running += 1;
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = lane.waiting.indexOf(waiter);
        if (at >= 0) lane.waiting.splice(at, 1);
        this.forget(host, lane);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.waiting.push(waiter);
      if (!this.inRotation.has(host)) {
        this.inRotation.add(host);
        this.rotation.push(host);
      }
    });
  }

  private release(host: string): void {
    const lane = this.lanes.get(host)!;
    lane.running -= 1;
    this.running -= 1;
    this.pump();
    this.forget(host, lane);
  }

  /** Grants free slots to waiting hosts in turn. */
  private pump(): void {
    let passed = 0;
    while (this.running < this.total && passed < this.rotation.length) {
      const host = this.rotation.shift()!;
      const lane = this.lanes.get(host);
      if (!lane || lane.waiting.length === 0) {
        this.inRotation.delete(host);
        continue;
      }
      if (lane.running < this.perHost) {
        lane.running += 1;
        this.running += 1;
        lane.waiting.shift()!.grant();
        passed = 0;
      } else {
        passed += 1;
      }
      if (lane.waiting.length > 0) this.rotation.push(host);
      else this.inRotation.delete(host);
    }
  }

  private forget(host: string, lane: Lane): void {
    if (lane.running === 0 && lane.waiting.length === 0) {
      this.lanes.delete(host);
      if (this.inRotation.delete(host)) this.rotation.splice(this.rotation.indexOf(host), 1);
    }
  }
}
