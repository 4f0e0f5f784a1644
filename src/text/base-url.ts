/** A base URL (or directory path) without its trailing slashes, so that `${base}/path` has exactly one. */
export function trimTrailingSlashes(base: string): string {
  return base.replace(/\/+$/, '');
}
