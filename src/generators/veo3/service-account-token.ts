// OAuth access tokens for a Google service account: a JWT signed with the account's private key
// (RS256) is exchanged at the key file's token_uri (jwt-bearer grant), and the token is reused
// until shortly before it expires.
//
// Hand-written (about 40 lines) because google-auth-library's JWT client always posts to Google's
// fixed token endpoint, not the token_uri of the key file, so it cannot be aimed at a private or
// test token service; the signing itself is node:crypto.
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorClient } from '../../http/vendor-client/vendor-client.js';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

interface KeyFile {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export class ServiceAccountToken {
  private readonly key: KeyFile;
  private cached: { token: string; expiresAt: number } | null = null;

  constructor(credentialsPath: string) {
    let parsed: Partial<KeyFile>;
    try {
      parsed = JSON.parse(readFileSync(credentialsPath, 'utf8')) as Partial<KeyFile>;
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not a JSON key file';
      throw new GenerationError('veo3', 'config', `google_veo.credentials_path ${why}`);
    }
    if (!parsed.client_email || !parsed.private_key)
      throw new GenerationError(
        'veo3',
        'config',
        'google_veo.credentials_path has no client_email/private_key (not a service-account key)',
      );
    this.key = parsed as KeyFile;
  }

  get tokenUri(): string {
    return this.key.token_uri ?? 'https://oauth2.googleapis.com/token';
  }

  assertion(now = Math.floor(Date.now() / 1000)): string {
    const header = b64url(
      JSON.stringify({
        alg: 'RS256',
        typ: 'JWT',
        ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}),
      }),
    );
    const claims = b64url(
      JSON.stringify({ iss: this.key.client_email, scope: SCOPE, aud: this.tokenUri, iat: now, exp: now + 3600 }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(this.key.private_key);
    return `${header}.${claims}.${b64url(signature)}`;
  }

  async token(
    signal: AbortSignal,
    maxRetries: number,
    retryBaseMs: number,
    log?: (m: string) => void,
  ): Promise<string> {
    if (this.cached && this.cached.expiresAt > Date.now() + 60_000) return this.cached.token;
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: this.assertion(),
    });
    const client = new VendorClient({ vendor: 'veo3 (OAuth token)', retry: { maxRetries, retryBaseMs } });
    const answer = await client.json<{ access_token?: string; expires_in?: number }>(
      this.tokenUri,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      },
      { signal, log },
    );
    if (!answer?.access_token)
      throw new GenerationError('veo3', 'config', 'the token endpoint answered without an access_token');
    this.cached = { token: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3600) * 1000 };
    return this.cached.token;
  }
}
