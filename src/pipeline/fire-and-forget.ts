/** Runs a reporter call without awaiting it: a failed progress or log write must not become an unhandled rejection. */
export function fireAndForget(write: () => Promise<void>): void {
  try {
    write().catch(() => undefined);
  } catch {
    // A reporter that throws synchronously is ignored the same way.
  }
}
