// Tells long-lived requests (event streams) that the key they were opened with has been revoked, so
// that they end instead of streaming to the end of the job. A revocation made in this process (the
// admin API) is announced at once; one made elsewhere (`ttv keys revoke`, another API process) is
// seen within about one interval: while anything is watched, each tick reads the store's revocation
// mark (one cheap read) and re-checks the watched keys only when it moved, plus keys watched since
// the last tick (a key revoked just before its stream opened, while the authenticator's ~1 s cache
// still let it in).
import type { KeyStore } from './key-store.js';
import { ANONYMOUS_PRINCIPAL, CONFIG_TOKEN_PRINCIPAL } from './principal.js';

/** How often another process's revocation is looked for: the same bound as the authenticator's cache. */
export const REVOCATION_CHECK_MS = 1000;

export interface KeyRevocationsOptions {
  keys: Pick<KeyStore, 'revokedAmong' | 'revocationMark'>;
  intervalMs?: number;
  /** A failed check (store down); the next tick retries. */
  onError?: (err: unknown) => void;
  /** Every revocation seen, watched or not (e.g. to drop the key from the authenticator's cache). */
  onRevoked?: (keyId: string) => void;
}

export class KeyRevocations {
  private readonly watchers = new Map<string, Set<() => void>>();
  /** Keys watched since the last tick, checked once whatever the mark says. */
  private fresh = new Set<string>();
  private mark: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private closed = false;

  constructor(private readonly options: KeyRevocationsOptions) {}

  /**
   * Calls `onRevoked` once if the key is revoked while watched. The configured token and the open
   * server's anonymous caller cannot be revoked and are not watched. Returns the unwatch function.
   */
  watch(keyId: string, onRevoked: () => void): () => void {
    if (keyId === CONFIG_TOKEN_PRINCIPAL.keyId || keyId === ANONYMOUS_PRINCIPAL.keyId || this.closed)
      return () => undefined;
    let set = this.watchers.get(keyId);
    if (!set) this.watchers.set(keyId, (set = new Set()));
    set.add(onRevoked);
    this.fresh.add(keyId);
    this.schedule();
    return () => {
      set.delete(onRevoked);
      if (set.size === 0 && this.watchers.get(keyId) === set) this.watchers.delete(keyId);
    };
  }

  /** A revocation made in this process (or just found): its watchers are told now. */
  revoked(keyId: string): void {
    this.options.onRevoked?.(keyId);
    const set = this.watchers.get(keyId);
    if (!set) return;
    this.watchers.delete(keyId);
    for (const onRevoked of set) onRevoked();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watchers.clear();
  }

  /** One tick at a time, and none while nothing is watched; the timer never keeps the process alive. */
  private schedule(): void {
    if (this.timer || this.ticking || this.closed || this.watchers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.options.intervalMs ?? REVOCATION_CHECK_MS);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    const fresh = [...this.fresh];
    this.fresh.clear();
    try {
      const mark = await this.options.keys.revocationMark();
      const moved = mark !== this.mark;
      const ids = moved ? [...this.watchers.keys()] : fresh.filter((id) => this.watchers.has(id));
      if (ids.length > 0) for (const id of await this.options.keys.revokedAmong(ids)) this.revoked(id);
      this.mark = mark;
    } catch (err) {
      for (const id of fresh) this.fresh.add(id); // looked at again next time
      this.options.onError?.(err);
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }
}
