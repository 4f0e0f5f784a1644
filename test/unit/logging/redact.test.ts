import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { configSchema } from '../../../src/config/schema.js';
import { collectSecrets, redactConfig, redactText, REDACTED } from '../../../src/logging/redact.js';
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
    for (const secret of ['sk-live-0123456789abcdef', 'rw-secret-value-42', 'bearer-token-xyz-987', 'hunter2pass', 'local-signing-secret-123']) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).toContain(REDACTED);
    expect((redactConfig(config) as { gcs?: unknown }).gcs).toBeUndefined();
    expect((redactConfig(config) as { security: { auth_token: string } }).security.auth_token).toBe(REDACTED);
  });

  it('collects secrets and scrubs them from free text', () => {
    const secrets = collectSecrets(config);
    expect(secrets).toEqual(expect.arrayContaining(['sk-live-0123456789abcdef', 'rw-secret-value-42', 'hunter2pass']));
    expect(redactText('call failed with key sk-live-0123456789abcdef', secrets)).toBe(`call failed with key ${REDACTED}`);
  });

  it('scrubs signatures from signed GCS, S3 and local URLs', () => {
    const gcs = 'https://storage.googleapis.com/b/k.mp4?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam&X-Goog-Signature=abcdef0123';
    const s3 = 'https://b.s3.amazonaws.com/k.mp4?X-Amz-Credential=AKIA/x&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok';
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
    const sink = new Writable({ write(chunk, _enc, done) { output += chunk.toString(); done(); } });
    const logger = createLogger({ level: 'info', secrets: collectSecrets(config), destination: sink });
    logger.info({ url: 'http://h/files/k.mp4?expires=9&signature=SIGSIGSIG', key: 'sk-live-0123456789abcdef' }, 'token rw-secret-value-42 used');
    logger.info({ req: { method: 'GET', url: '/files/x?signature=QQQ', headers: { authorization: 'Bearer bearer-token-xyz-987' } } }, 'request');
    expect(output).not.toMatch(/SIGSIGSIG|sk-live-0123456789abcdef|rw-secret-value-42|QQQ|bearer-token-xyz-987/);
    expect(output).toContain(REDACTED);
  });
});
