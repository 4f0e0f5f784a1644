// Key secrets and their stored form. A secret is 32 random bytes (256 bits): nobody can guess or
// enumerate it, so a single SHA-256 is enough to keep a stolen table useless; a slow password hash
// (bcrypt, scrypt) protects low-entropy human passwords and would only cost time on every request.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

const PREFIX = 'ttv_';

export function newKeySecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newKeyId(): string {
  return `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

export function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
