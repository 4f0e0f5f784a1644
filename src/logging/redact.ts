// Secret redaction for config dumps, error messages and log lines.

export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /(^|_)(api_key|apikey|secret|secret_access_key|access_key_id|token|auth_token|password|passwd|private_key|signing_secret|credentials_json)$/i;

// Query parameters that carry signatures or credentials in signed URLs (GCS V4, S3 SigV4, ours).
const SIGNED_PARAMS = [
  'signature',
  'X-Goog-Signature',
  'X-Goog-Credential',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'sig',
  'token',
  'key',
  'access_token',
];
const SIGNED_PARAM_RE = new RegExp(`([?&](?:${SIGNED_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');
const URL_PASSWORD_RE = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s"']*:)[^@\s"'/]+@/gi;
const BEARER_RE = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;
// "Authorization: <scheme> <credentials>" in any spelling (header dumps, echoed JSON): the credentials go.
const AUTHORIZATION_RE = /(authorization["']?\s*[:=]\s*["']?(?:Bearer|Basic|Key|Token)?\s*)[^\s"',}\]]+/gi;
// Well-known token shapes, wherever they appear (vendor error bodies echo them): OpenAI/Anthropic-style
// sk-…, Stripe keys, Standard Webhooks whsec_…, AWS access key ids, JWTs, Slack xox…, GitHub tokens.
const TOKEN_SHAPES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{8,}/g,
  /\bwhsec_[A-Za-z0-9+/=]{8,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+){0,2}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{8,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
];
// What every token shape and Authorization/Bearer pattern above starts with: a line holding none of
// these (most access-log lines) skips those eight-plus replacements. Case-insensitive, so it never
// misses what the case-sensitive patterns would match.
const TOKEN_TRIGGER =
  /sk-|[rs]k_(?:live|test)_|whsec_|AKIA|ASIA|eyJ|xox[abposr]-|gh[pousr]_|github_pat_|authorization|bearer/i;

// Secret values of the running configuration, registered once at startup (service.ts), so that every
// sink (process log, job log lines, SSE, webhook log lines, CLI output) scrubs them without plumbing.
let registeredSecrets: string[] = [];

/** Sets the configured secret values that redactText removes by default. */
export function registerSecrets(values: readonly string[]): void {
  registeredSecrets = [...new Set(values.filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
}

/**
 * A URL as it may be shown: no userinfo, no query, and the path replaced unless it is "/" (webhook
 * URLs such as Slack's carry their secret in the path): "https://hooks.slack.com/[REDACTED]".
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname === '/' || parsed.pathname === '' ? '' : `/${REDACTED}`;
    return `${parsed.protocol}//${parsed.host}${path}`;
  } catch {
    return REDACTED;
  }
}

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy of the config with secret values replaced; webhook URLs shown as origin + redacted path. */
export function redactConfig(value: unknown, key = ''): unknown {
  const copy = redactConfigValue(value, key);
  const webhooks = (copy as { webhooks?: { urls?: unknown; endpoints?: unknown } } | null)?.webhooks;
  if (webhooks && typeof webhooks === 'object') {
    if (Array.isArray(webhooks.urls))
      webhooks.urls = webhooks.urls.map((u) => (typeof u === 'string' ? displayUrl(u) : u));
    if (Array.isArray(webhooks.endpoints)) {
      for (const e of webhooks.endpoints as { url?: unknown }[])
        if (e && typeof e.url === 'string') e.url = displayUrl(e.url);
    }
  }
  return copy;
}

function redactConfigValue(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfigValue(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactConfigValue(v, k)]),
    );
  }
  if (typeof value === 'string') {
    if (key && isSecretKey(key) && value !== '') return REDACTED;
    return value.replace(URL_PASSWORD_RE, `$1${REDACTED}@`);
  }
  return value;
}

/** Every non-trivial secret value in a config, to scrub from free text. Takes any object tree: logging sits below config. */
export function collectSecrets(config: object): string[] {
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

/**
 * The one redaction of every sink: configured secret values (registered ones plus `secrets`),
 * known token shapes, Authorization values, signed-URL parameters and URL passwords.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  // Two loops rather than one over [secrets, registeredSecrets]: no array per line (every access-log line comes here).
  let out = text;
  for (const secret of secrets) if (secret && out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const secret of registeredSecrets) if (secret && out.includes(secret)) out = out.split(secret).join(REDACTED);
  if (TOKEN_TRIGGER.test(out)) {
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
    out = out.replace(AUTHORIZATION_RE, `$1${REDACTED}`).replace(BEARER_RE, `$1${REDACTED}`);
  }
  if (!out.includes('=') && !out.includes('@')) return out;
  return out.replace(SIGNED_PARAM_RE, `$1${REDACTED}`).replace(URL_PASSWORD_RE, `$1${REDACTED}@`);
}

// Cutting comes after redaction, never before: a secret cut in two is a fragment that neither the
// configured values nor the token shapes match any more, so its visible part would leak.

/** `text` redacted, then cut after `max` characters (an ellipsis marks the cut). */
export function redactedClip(text: string, max: number, secrets: readonly string[] = []): string {
  const clean = redactText(text, secrets);
  if (clean.length <= max) return clean;
  // By code points, so a cut never leaves half a surrogate pair.
  const points = [...clean];
  return points.length <= max ? clean : `${points.slice(0, max).join('')}…`;
}

/** The last `max` characters of `text`, redacted first (an ellipsis marks the cut). */
export function redactedTail(text: string, max: number, secrets: readonly string[] = []): string {
  const clean = redactText(text, secrets);
  if (clean.length <= max) return clean;
  const points = [...clean];
  return points.length <= max ? clean : `…${points.slice(points.length - max).join('')}`;
}

/**
 * The last `max` characters of a stream that cannot be held whole to redact first (a child's stderr):
 * cut at a whitespace boundary, so no token is split and redaction later still sees each secret
 * whole (a token the cut falls into is dropped).
 */
export function tailAtTokenBoundary(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.length - max;
  const rest = text.slice(cut);
  if (/\s/.test(text[cut - 1]!)) return rest;
  const m = /\s/.exec(rest);
  return m ? rest.slice(m.index) : '';
}

/** The first `max` characters of such a stream, cut at a whitespace boundary (a token the cut falls into is dropped). */
export function headAtTokenBoundary(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  if (/\s/.test(text[max]!)) return head;
  const m = /\s(?=\S*$)/.exec(head);
  return m ? head.slice(0, m.index + 1) : '';
}
