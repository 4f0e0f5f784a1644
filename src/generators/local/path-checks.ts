// Checks for the paths local backends read from the config. Paths are resolved against the service's
// working directory once, here, and passed on absolute, because the model runs in another directory.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

export function absolutePath(path: string): string {
  return resolve(process.cwd(), path);
}

function kind(path: string): 'dir' | 'file' | null {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/**
 * A problem naming `key` when its value is unset or not an existing directory (or file), else null.
 * Messages name the key, not the path: they reach API clients, who should not see the host layout.
 */
export function pathProblem(
  key: string,
  value: string | undefined | null,
  expect: 'dir' | 'file',
  why: string,
): string | null {
  if (!value) return `${key} is not set (${why})`;
  const found = kind(absolutePath(value));
  if (found === expect) return null;
  return `${key} does not point to an existing ${expect === 'dir' ? 'directory' : 'file'} (${why})`;
}
