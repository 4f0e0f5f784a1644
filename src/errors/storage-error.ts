/** The artifact store failed (upload, signing, reachability). `transient` errors may be retried. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, { cause: options?.cause });
    this.transient = options?.transient ?? false;
  }
}
