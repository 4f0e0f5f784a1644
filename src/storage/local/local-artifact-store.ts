// Artifacts on local disk under the data dir, handed out through HMAC-signed, expiring links that
// the API itself serves (/files/{key}?expires=…&signature=…).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  chmodSync,
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { access, lstat, mkdir, open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../../config/schema.js';
import { StorageError } from '../../errors/storage-error.js';
import {
  artifactKey,
  type ArtifactStore,
  type SignedUrl,
  type SignOptions,
  type StoredArtifact,
  type StoredFile,
} from '../types.js';
import { trimTrailingSlashes } from '../../text/base-url.js';

export interface LocalArtifactStoreOptions {
  rootDir: string;
  prefix: string;
  signingSecret: string | Buffer;
}

export type LinkVerdict = 'ok' | 'expired' | 'invalid';

const SAFE_KEY = /^(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/;

/** Reads a kept signing key, refusing one too short to be a key (a truncated or emptied file). */
function readSigningKey(file: string): Buffer {
  const key = readFileSync(file);
  if (key.length < 16) {
    throw new StorageError(
      `the signing key file ${basename(file)} in the data dir is damaged (${key.length} bytes); remove it to generate a new one`,
    );
  }
  return key;
}

/** The signing key: from config, else 32 random bytes generated once and kept (0600) in <data_dir>/signing.key. */
export function signingSecretFor(config: AppConfig): string | Buffer {
  if (config.storage.local.signing_secret) return config.storage.local.signing_secret;
  const dataDir = resolve(config.data_dir);
  const file = join(dataDir, 'signing.key');
  if (existsSync(file)) return readSigningKey(file);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Written in full under a private name, then linked into place: link() fails when the file exists,
  // so processes starting together agree on one key and nobody reads a half-written one.
  const key = randomBytes(32);
  const temp = join(dataDir, `.signing.key.${process.pid}.${randomUUID()}`);
  writeFileSync(temp, key, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      // A filesystem without hard links: exclusive create instead (a reader may race the write).
      try {
        writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
      } catch (createErr) {
        if ((createErr as NodeJS.ErrnoException).code !== 'EEXIST') throw createErr;
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
  return readSigningKey(file);
}

export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  readonly rootDir: string;
  private readonly prefix: string;
  private readonly secret: string | Buffer;

  constructor(options: LocalArtifactStoreOptions) {
    this.rootDir = resolve(options.rootDir);
    mkdirSync(this.rootDir, { recursive: true, mode: 0o700 });
    this.prefix = options.prefix;
    this.secret = options.signingSecret;
  }

  static fromConfig(config: AppConfig): LocalArtifactStore {
    const store = new LocalArtifactStore({
      rootDir: config.storage.local.dir ?? join(resolve(config.data_dir), 'artifacts'),
      prefix: config.storage.prefix,
      signingSecret: signingSecretFor(config),
    });
    // ttv's own artifacts dir is private even when an older version made it 0755; a configured
    // storage.local.dir keeps the mode its owner gave it (what ttv creates in it is private).
    if (!config.storage.local.dir) chmodSync(store.rootDir, 0o700);
    return store;
  }

  async put(
    localPath: string,
    jobId: string,
    options: { signal?: AbortSignal; now?: Date } = {},
  ): Promise<StoredArtifact> {
    const key = artifactKey(this.prefix, jobId, options.now);
    const target = this.resolveFile(key);
    // A unique temp name: two attempts of one job (a lost lease) never write the same partial file.
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      const source = await stat(localPath);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(createReadStream(localPath), createWriteStream(partial, { flags: 'wx', mode: 0o600 }), {
        signal: options.signal,
      });
      const handle = await open(partial, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const written = await stat(partial);
      if (written.size !== source.size)
        throw new StorageError(`size mismatch after copy (${written.size} of ${source.size} bytes)`);
      await rename(partial, target);
      await syncDirectory(dirname(target));
      return { key, uri: pathToFileURL(target).href, gcsUri: null, sizeBytes: written.size };
    } catch (err) {
      await rm(partial, { force: true });
      if (err instanceof StorageError) throw err;
      throw new StorageError(
        `could not store the artifact locally: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        { cause: err },
      );
    }
  }

  async sign(key: string, options: SignOptions): Promise<SignedUrl> {
    this.resolveFile(key);
    const expires = Math.floor(Date.now() / 1000) + options.expiresInSeconds;
    const path = `/files/${key}`;
    const origin = trimTrailingSlashes(options.requestOrigin ?? '');
    const url = `${origin}${path}?expires=${expires}&signature=${this.signature(path, expires)}`;
    return { url, expiresIn: options.expiresInSeconds };
  }

  /** Checks a download link: path is `/files/{key}`, query carries expires and signature. */
  verify(path: string, query: URLSearchParams, now: Date = new Date()): LinkVerdict {
    const expires = query.get('expires');
    const signature = query.get('signature');
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return 'invalid';
    const expected = Buffer.from(this.signature(path, Number(expires)));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return Number(expires) * 1000 < now.getTime() ? 'expired' : 'ok';
  }

  /** Absolute path of a key; refuses anything that could leave the root (.., absolute, odd bytes). */
  resolveFile(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
      throw new StorageError('invalid artifact key');
    }
    const full = resolve(this.rootDir, key);
    if (!full.startsWith(this.rootDir + sep)) throw new StorageError('invalid artifact key');
    return full;
  }

  async delete(key: string): Promise<void> {
    const full = this.resolveFile(key);
    try {
      await rm(full, { force: true });
      // The job's own directory ({prefix}/{month}/{job_id}/) goes with its only file.
      await rm(dirname(full), { recursive: false }).catch(() => undefined);
    } catch (err) {
      throw new StorageError('could not remove the artifact', { cause: err });
    }
  }

  /** Regular files under the root (symlinks are not followed), keys relative to it. */
  async *files(): AsyncIterable<StoredFile> {
    const walk = async function* (dir: string, prefix: string): AsyncGenerator<StoredFile> {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const key = prefix ? `${prefix}/${entry.name}` : entry.name;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          yield* walk(full, key);
        } else if (entry.isFile() && SAFE_KEY.test(key)) {
          const info = await lstat(full).catch(() => null);
          if (info?.isFile()) yield { key, modifiedAt: info.mtime, sizeBytes: info.size };
        }
      }
    };
    yield* walk(this.rootDir, '');
  }

  /**
   * The file a download link may serve: an existing regular file inside the artifacts dir after
   * every symlink is resolved, with no symlink on the way (realpath must equal the plain path).
   */
  async servableFile(key: string): Promise<{ file: string } | 'missing' | 'refused'> {
    let full: string;
    try {
      full = this.resolveFile(key);
    } catch {
      return 'refused';
    }
    let real: string;
    let root: string;
    try {
      [real, root] = await Promise.all([realpath(full), realpath(this.rootDir)]);
    } catch {
      return 'missing';
    }
    if (real !== join(root, relative(this.rootDir, full)) || !real.startsWith(root + sep)) return 'refused';
    const info = await lstat(real).catch(() => null);
    if (!info) return 'missing';
    return info.isFile() ? { file: real } : 'refused';
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.rootDir, { recursive: true, mode: 0o700 });
      await access(this.rootDir, constants.W_OK);
    } catch (err) {
      throw new StorageError('artifact directory is not writable', { cause: err });
    }
  }

  private signature(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`GET\n${path}\n${expires}`).digest('base64url');
  }
}

/** Makes a rename durable: fsync of the directory that holds the new entry (best effort). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the file's data is already synced.
  } finally {
    await handle?.close();
  }
}
