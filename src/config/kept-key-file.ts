// A random key generated once and kept (mode 0600) in a file of the data dir, agreed on by every
// process that starts at the same time: written under a private name, then linked into place.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function keptKeyFile(dataDir: string, name: string): Buffer {
  const dir = resolve(dataDir);
  const file = join(dir, name);
  const read = () => {
    const key = readFileSync(file);
    if (key.length < 16)
      throw new Error(
        `the key file ${name} in the data dir is damaged (${key.length} bytes); remove it to generate a new one`,
      );
    return key;
  };
  if (existsSync(file)) return read();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${name}.${process.pid}.${randomUUID()}`);
  writeFileSync(temp, randomBytes(32), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      try {
        writeFileSync(file, readFileSync(temp), { mode: 0o600, flag: 'wx' });
      } catch (createErr) {
        if ((createErr as NodeJS.ErrnoException).code !== 'EEXIST') throw createErr;
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
  return read();
}
