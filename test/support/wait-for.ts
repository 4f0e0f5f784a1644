// Polls a condition until it yields a value. For state that lives in another process or store, where
// no event can be awaited; the interval is short and the deadline fails the test with a message.
export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${options.what ?? 'condition'}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}

/**
 * Polls until `probe` reports done. There is no overall deadline: the wait fails only when the
 * progress figure has not moved for `stallMs`, so a busy machine makes the wait longer, never a failure,
 * while a stuck system still fails with the last figure in the message.
 */
export async function waitForProgress(
  probe: () => Promise<{ done: boolean; progress: number }>,
  options: { stallMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const stallMs = options.stallMs ?? 60_000;
  let best = -Infinity;
  let movedAt = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const { done, progress } = await probe();
      if (done) return;
      if (progress > best) {
        best = progress;
        movedAt = Date.now();
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - movedAt > stallMs) {
      throw new Error(
        `no progress for ${stallMs} ms waiting for ${options.what ?? 'condition'} (stuck at ${best})${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
