// Who in this process watches which job (JobQueue.watch), the same for every adapter: an adapter
// calls notify(id) when it learns that a job's journal grew (its own write, another process's
// through pub/sub or a data_version check), and a watcher re-reads the journal.
import { EventEmitter } from 'node:events';

export class JobWatchers {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  /** Adds a watcher of the job; the returned function removes it (once, however often called). */
  add(id: string, listener: () => void): () => void {
    const wrapped = () => listener();
    this.emitter.on(id, wrapped);
    return () => {
      this.emitter.off(id, wrapped);
    };
  }

  notify(id: string): void {
    this.emitter.emit(id);
  }

  /** Every watcher re-reads: for changes that may have been missed (a subscription that just took). */
  notifyAll(): void {
    for (const id of this.ids()) this.emitter.emit(id);
  }

  /** The watched job ids. */
  ids(): string[] {
    return this.emitter.eventNames().map(String);
  }

  watches(id: string): boolean {
    return this.emitter.listenerCount(id) > 0;
  }

  get size(): number {
    return this.emitter.eventNames().length;
  }
}
