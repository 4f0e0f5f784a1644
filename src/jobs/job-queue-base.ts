// What every JobQueue adapter does the same way: the store-wide journal is its JobJournal's (the
// adapter builds one over its store), and JobQueue.watch keeps this process's watchers, which the
// adapter notifies when it learns that a job's journal grew. The adapter says only how it hears
// of other processes' writes (startWatching) and what to drop when a job has no watcher left.
import type { JobJournal, JournalEntry, JournalFollower } from './job-journal.js';
import { JobWatchers } from './job-watchers.js';

export abstract class JobQueueBase implements JobJournal {
  protected readonly watchers = new JobWatchers();
  protected abstract readonly globalJournal: JobJournal;

  async journal(after: string | null, limit: number): Promise<JournalEntry[]> {
    return this.globalJournal.journal(after, limit);
  }

  follower(name: string): JournalFollower {
    return this.globalJournal.follower(name);
  }

  watch(id: string, listener: () => void): () => void {
    const unwatch = this.watchers.add(id, listener);
    this.startWatching();
    return () => {
      unwatch();
      this.stoppedWatching(id);
    };
  }

  /** Called with each new watcher: start hearing other processes' writes, if not yet. */
  protected abstract startWatching(): void;

  /** Called when a watcher leaves. */
  protected stoppedWatching(_id: string): void {}
}
