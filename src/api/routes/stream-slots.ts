// Counts open event streams per client and in total, so that idle streams cannot exhaust a process.
export class StreamSlots {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly max: number,
    private readonly maxPerClient: number,
  ) {}

  /** Takes a slot for the client; returns why not when a cap is reached (nothing is taken then). */
  acquire(client: string): string | null {
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.maxPerClient)
      return `Too many open event streams for this client (at most ${this.maxPerClient}); close one or retry later`;
    if (this.total >= this.max) return 'Too many open event streams on this server; retry later';
    this.perClient.set(client, held + 1);
    this.total += 1;
    return null;
  }

  release(client: string): void {
    const held = this.perClient.get(client) ?? 0;
    if (held <= 1) this.perClient.delete(client);
    else this.perClient.set(client, held - 1);
    this.total = Math.max(0, this.total - 1);
  }

  get open(): number {
    return this.total;
  }
}
