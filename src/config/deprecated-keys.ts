// ttv's own keys that no longer do anything: accepted (and validated) for one more release so that a
// file setting one keeps loading, each load warns with what to use instead; then they go.
export const DEPRECATED_KEY_PATHS: Record<string, string> = {
  // Never read: running jobs get worker.shutdown_grace_seconds on SIGTERM.
  'server.shutdown_grace_seconds': 'use worker.shutdown_grace_seconds (the time running jobs get on SIGTERM)',
};
