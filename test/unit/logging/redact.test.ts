import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { configSchema } from '../../../src/config/schema.js';
import {
  collectSecrets,
  headAtTokenBoundary,
  redactConfig,
  redactedClip,
  redactedTail,
  redactText,
  REDACTED,
  registerSecrets,
  tailAtTokenBoundary,
} from '../../../src/logging/redact.js';
import { reasonOf } from '../../../src/http/vendor-client/vendor-reason.js';
import { createLogger } from '../../../src/logging/logger.js';

const config = configSchema.parse({
  openai_api_key: 'sk-live-0123456789abcdef',
  runway_ml: { api_key: 'rw-secret-value-42' },
  security: { auth_token: 'bearer-token-xyz-987' },
  redis: { url: 'redis://:hunter2pass@127.0.0.1:6379/0' },
  storage: { local: { signing_secret: 'local-signing-secret-123' } },
});

describe('redaction', () => {
  it('redacts nested secret values and URL passwords in a config dump', () => {
    const dump = JSON.stringify(redactConfig(config));
    for (const secret of [
      'sk-live-0123456789abcdef',
      'rw-secret-value-42',
      'bearer-token-xyz-987',
      'hunter2pass',
      'local-signing-secret-123',
    ]) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).toContain(REDACTED);
    expect((redactConfig(config) as { gcs?: unknown }).gcs).toBeUndefined();
    expect((redactConfig(config) as { security: { auth_token: string } }).security.auth_token).toBe(REDACTED);
  });

  it('collects secrets and scrubs them from free text', () => {
    const secrets = collectSecrets(config);
    expect(secrets).toEqual(expect.arrayContaining(['sk-live-0123456789abcdef', 'rw-secret-value-42', 'hunter2pass']));
    expect(redactText('call failed with key sk-live-0123456789abcdef', secrets)).toBe(
      `call failed with key ${REDACTED}`,
    );
  });

  it('scrubs signatures from signed GCS, S3 and local URLs', () => {
    const gcs =
      'https://storage.googleapis.com/b/k.mp4?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam&X-Goog-Signature=abcdef0123';
    const s3 =
      'https://b.s3.amazonaws.com/k.mp4?X-Amz-Credential=AKIA/x&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok';
    const local = 'http://127.0.0.1:8000/files/ttv-api/2026-11/id/final_video.mp4?expires=1&signature=c2lnbmF0dXJl';
    for (const url of [gcs, s3, local]) {
      const out = redactText(url);
      expect(out).not.toMatch(/abcdef0123|deadbeef|c2lnbmF0dXJl|sa%40p\.iam|=tok/);
      expect(out).toContain(REDACTED);
    }
    expect(redactText(local)).toContain('expires=1');
    expect(redactText('Authorization: Bearer abc.def-ghi')).toBe(`Authorization: Bearer ${REDACTED}`);
  });

  it('keeps secrets and signatures out of every log line', () => {
    let output = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ level: 'info', secrets: collectSecrets(config), destination: sink });
    logger.info(
      { url: 'http://h/files/k.mp4?expires=9&signature=SIGSIGSIG', key: 'sk-live-0123456789abcdef' },
      'token rw-secret-value-42 used',
    );
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/files/x?signature=QQQ',
          headers: { authorization: 'Bearer bearer-token-xyz-987' },
        },
      },
      'request',
    );
    expect(output).not.toMatch(/SIGSIGSIG|sk-live-0123456789abcdef|rw-secret-value-42|QQQ|bearer-token-xyz-987/);
    expect(output).toContain(REDACTED);
  });
});

/** Every run of `n` characters of `secret`: none of them may be readable in a sink. */
const fragments = (secret: string, n = 6) =>
  Array.from({ length: secret.length - n + 1 }, (_, i) => secret.slice(i, i + n));

describe('redaction before truncation', () => {
  // A configured key of no well-known shape, longer than any cut: only its whole value can be found.
  const key = `rk9${'Q7f2Lm8ZpX4c'.repeat(20)}`;
  const echo = `Invalid credentials: ${key} is not a key of this account`;

  it('redacts a vendor reason before cutting it to 160 characters, so no part of an echoed key shows', () => {
    registerSecrets([key]); // as service.ts does with the configured secrets
    let reason: string;
    try {
      reason = reasonOf({ error: echo });
    } finally {
      registerSecrets([]);
    }
    // Cut first, the key would have shown as its first ~140 characters.
    expect(echo.slice(0, 160)).toContain(key.slice(0, 100));
    expect(redactText(echo.slice(0, 160), [key])).toContain(key.slice(0, 100));
    expect(redactText(reason, [key])).toBe(`Invalid credentials: ${REDACTED} is not a key of this account`);
    for (const part of fragments(key)) expect(reason).not.toContain(part);
  });

  it('cuts after redacting, at either end, and marks the cut', () => {
    expect(redactedClip(`${echo} ${'x'.repeat(300)}`, 40, [key])).toBe(`Invalid credentials: ${REDACTED} is not a…`);
    expect(redactedTail(`${'x'.repeat(300)} ${echo}`, 39, [key])).toBe(`…${REDACTED} is not a key of this account`);
    expect(redactedClip('short', 40)).toBe('short');
    // Code points, not UTF-16 units: an emoji is never cut in half.
    expect(redactedClip('🎬🎬🎬', 2)).toBe('🎬🎬…');
  });

  it('cuts a stream it cannot hold whole between tokens, dropping the token a cut falls into', () => {
    const tail = tailAtTokenBoundary(`first ${key} second line\nthird\n`, 25);
    expect(tail).toBe(' second line\nthird\n');
    for (const part of fragments(key)) expect(tail).not.toContain(part);
    const head = headAtTokenBoundary(`first line\n${key} more`, 25);
    expect(head).toBe('first line\n');
    for (const part of fragments(key)) expect(head).not.toContain(part);
    expect(tailAtTokenBoundary('ab\ncd\n', 3)).toBe('cd\n');
    expect(tailAtTokenBoundary('abcdef', 3)).toBe('');
    expect(headAtTokenBoundary('abc def', 4)).toBe('abc ');
    expect(headAtTokenBoundary('abcdef', 3)).toBe('');
    expect(tailAtTokenBoundary('ab\n', 10)).toBe('ab\n');
  });
});
