// Artifacts on local disk under the data dir, handed out through HMAC-signed, expiring links that
// the API itself serves (/files/{key}?expires=…&signature=…).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { constants, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { access, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../../config/schema.js';
import { StorageError } from '../../errors/storage-error.js';
import { artifactKey, type ArtifactStore, type SignedUrl, type SignOptions, type StoredArtifact } from '../types.js';

export interface LocalArtifactStoreOptions {
  rootDir: string;
  prefix: string;
  signingSecret: string | Buffer;
}

export type LinkVerdict = 'ok' | 'expired' | 'invalid';

const SAFE_KEY = /^(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/;

/** The signing key: from config, else generated once and kept (0600) in <data_dir>/signing.key. */
function signingSecretFor(config: AppConfig): string | Buffer {
  if (config.storage.local.signing_secret) return config.storage.local.signing_secret;
  const dataDir = resolve(config.data_dir);
  const file = join(dataDir, 'signing.key');
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    return readFileSync(file); // another process created it first
  }
}

export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  readonly rootDir: string;
  private readonly prefix: string;
  private readonly secret: string | Buffer;

  constructor(options: LocalArtifactStoreOptions) {
    this.rootDir = resolve(options.rootDir);
    mkdirSync(this.rootDir, { recursive: true });
    this.prefix = options.prefix;
    this.secret = options.signingSecret;
  }

  static fromConfig(config: AppConfig): LocalArtifactStore {
    return new LocalArtifactStore({
      rootDir: config.storage.local.dir ?? join(resolve(config.data_dir), 'artifacts'),
      prefix: config.storage.prefix,
      signingSecret: signingSecretFor(config),
    });
  }

  async put(localPath: string, jobId: string, options: { signal?: AbortSignal; now?: Date } = {}): Promise<StoredArtifact> {
    const key = artifactKey(this.prefix, jobId, options.now);
    const target = this.resolveFile(key);
    // A unique temp name: two attempts of one job (a lost lease) never write the same partial file.
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      const source = await stat(localPath);
      await mkdir(dirname(target), { recursive: true });
      await pipeline(createReadStream(localPath), createWriteStream(partial, { flags: 'wx' }), { signal: options.signal });
      const handle = await open(partial, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const written = await stat(partial);
      if (written.size !== source.size) throw new StorageError(`size mismatch after copy (${written.size} of ${source.size} bytes)`);
      await rename(partial, target);
      return { key, uri: pathToFileURL(target).href, gcsUri: null, sizeBytes: written.size };
    } catch (err) {
      await rm(partial, { force: true });
      if (err instanceof StorageError) throw err;
      throw new StorageError(`could not store the artifact locally: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  }

  async sign(key: string, options: SignOptions): Promise<SignedUrl> {
    this.resolveFile(key);
    const expires = Math.floor(Date.now() / 1000) + options.expiresInSeconds;
    const path = `/files/${key}`;
    const origin = (options.requestOrigin ?? '').replace(/\/+$/, '');
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

  async ping(): Promise<void> {
    try {
      await mkdir(this.rootDir, { recursive: true });
      await access(this.rootDir, constants.W_OK);
    } catch (err) {
      throw new StorageError('artifact directory is not writable', { cause: err });
    }
  }

  private signature(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`GET\n${path}\n${expires}`).digest('base64url');
  }
}
