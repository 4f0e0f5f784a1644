// Secret redaction for config dumps, error messages and log lines.
import type { AppConfig } from './schema.js';

export const REDACTED = '[REDACTED]';

const SECRET_KEY = /(^|_)(api_key|apikey|secret|secret_access_key|access_key_id|token|auth_token|password|passwd|private_key|signing_secret|credentials_json)$/i;

// Query parameters that carry signatures or credentials in signed URLs (GCS V4, S3 SigV4, ours).
const SIGNED_PARAMS = ['signature', 'X-Goog-Signature', 'X-Goog-Credential', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'sig', 'token', 'key', 'access_token'];
const SIGNED_PARAM_RE = new RegExp(`([?&](?:${SIGNED_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');
const URL_PASSWORD_RE = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s"']*:)[^@\s"'/]+@/gi;
const BEARER_RE = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy of the config with secret values replaced; null/absent values stay as they are. */
export function redactConfig(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string') {
    if (key && isSecretKey(key) && value !== '') return REDACTED;
    return value.replace(URL_PASSWORD_RE, `$1${REDACTED}@`);
  }
  return value;
}

/** Every non-trivial secret value in the config, to scrub from free text. */
export function collectSecrets(config: AppConfig | Record<string, unknown>): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key: string) => {
    if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
    else if (typeof value === 'string' && isSecretKey(key) && value.length >= 4) found.add(value);
    else if (typeof value === 'string') {
      const m = /[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s/]+)@/i.exec(value);
      if (m?.[1] && m[1].length >= 4) found.add(decodeURIComponent(m[1]));
    }
  };
  walk(config, '');
  return [...found].sort((a, b) => b.length - a.length);
}

/** Scrubs known secrets, signed-URL parameters, URL passwords and bearer tokens from any text. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret && out.includes(secret)) out = out.split(secret).join(REDACTED);
  // Fast path for the common line that holds no URL query, userinfo or bearer token.
  if (!out.includes('=') && !out.includes('@') && !out.includes('Bearer')) return out;
  return out
    .replace(SIGNED_PARAM_RE, `$1${REDACTED}`)
    .replace(URL_PASSWORD_RE, `$1${REDACTED}@`)
    .replace(BEARER_RE, `$1${REDACTED}`);
}
