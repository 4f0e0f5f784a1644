// A corpus of spellings of every API path, for probing that access decisions follow the matched
// route: percent-encoded letters (both hex cases) and slashes, dot segments, empty segments, case
// variants, absolute-form targets, ";" parameters, overlong UTF-8, backslashes, trailing slashes.
// Each variant is a function of the canonical path; the list of methods covers HEAD/OPTIONS/TRACE.

export interface RouteProbe {
  /** Canonical path, e.g. /v1/jobs/<id>/logs. */
  path: string;
  /** Needs a bearer token when auth is on. */
  protected: boolean;
}

export interface PathVariant {
  name: string;
  target: (path: string) => string;
}

const pct = (c: string | undefined, lower = false) => {
  if (c === undefined) return '%2E'; // "/" has no first letter: its variant is an encoded dot
  const hex = c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  return `%${lower ? hex.toLowerCase() : hex}`;
};

/** Replaces the first occurrence of `c` in `path` with its escape. */
const encodeFirst =
  (c: string, lower = false) =>
  (path: string) =>
    path.replace(c, pct(c, lower));

export const PATH_VARIANTS: PathVariant[] = [
  { name: 'canonical', target: (p) => p },
  { name: 'encoded first letter', target: (p) => `/${pct(p[1])}${p.slice(2)}` },
  { name: 'encoded first letter, lowercase hex', target: (p) => `/${pct(p[1], true)}${p.slice(2)}` },
  { name: 'encoded "1"', target: encodeFirst('1') },
  { name: 'encoded "j"', target: encodeFirst('j', true) },
  {
    name: 'every character encoded',
    target: (p) =>
      p
        .split('/')
        .map((s) => [...s].map((c) => pct(c)).join(''))
        .join('/'),
  },
  { name: 'encoded slash', target: (p) => p.replace(/\/(?=[^/]*$)/, '%2F') },
  { name: 'encoded slash, lowercase', target: (p) => p.replace(/\/(?=[^/]*$)/, '%2f') },
  { name: 'dot segment', target: (p) => `/x/..${p}` },
  { name: 'single dot segment', target: (p) => `/.${p}` },
  { name: 'encoded dot segment', target: (p) => `/x/%2E%2E${p}` },
  { name: 'trailing dot segment', target: (p) => `${p}/.` },
  { name: 'double slash at start', target: (p) => `/${p}` },
  { name: 'double slash inside', target: (p) => p.replace(/\/(?=[^/]*$)/, '//') },
  { name: 'upper case', target: (p) => p.toUpperCase() },
  { name: 'first segment capitalised', target: (p) => `/${(p[1] ?? 'X').toUpperCase()}${p.slice(2)}` },
  { name: 'absolute-form', target: (p) => `http://x${p}` },
  { name: 'absolute-form, upper-case scheme', target: (p) => `HTTP://127.0.0.1${p}` },
  { name: 'absolute-form https', target: (p) => `https://localhost:1${p}` },
  { name: 'semicolon parameter in a segment', target: (p) => p.replace(/^\/([^/]+)/, '/$1;x=1') },
  { name: 'semicolon at the end', target: (p) => `${p};` },
  { name: 'overlong UTF-8 slash', target: (p) => p.replace(/\/(?=[^/]*$)/, '%C0%AF') },
  { name: 'overlong UTF-8 dot', target: (p) => `/x/%C0%AE%C0%AE${p}` },
  { name: 'overlong UTF-8 first letter', target: (p) => `/%C1%B6${p.slice(2)}` },
  { name: 'backslash', target: (p) => p.replace(/\/(?=[^/]*$)/, '\\') },
  { name: 'encoded backslash', target: (p) => p.replace(/\/(?=[^/]*$)/, '%5C') },
  { name: 'trailing slash', target: (p) => `${p}/` },
  { name: 'two trailing slashes', target: (p) => `${p}//` },
  { name: 'encoded NUL suffix', target: (p) => `${p}%00` },
  { name: 'query that looks like a path', target: (p) => `${p}?/../healthz` },
];

export const PROBE_METHODS = ['GET', 'POST', 'HEAD', 'OPTIONS', 'TRACE', 'DELETE', 'PUT', 'PATCH'] as const;

/** Every route of the API, with a real job id where the path has one. */
export function apiRoutes(jobId: string): RouteProbe[] {
  return [
    { path: '/v1/jobs', protected: true },
    { path: `/v1/jobs/${jobId}`, protected: true },
    { path: `/v1/jobs/${jobId}/cancel`, protected: true },
    { path: `/v1/jobs/${jobId}/logs`, protected: true },
    { path: `/v1/jobs/${jobId}/events`, protected: true },
    { path: `/v1/jobs/${jobId}/artifact`, protected: true },
    { path: '/healthz', protected: false },
    { path: '/readyz', protected: false },
    { path: '/metrics', protected: false },
    { path: '/openapi.json', protected: false },
    { path: '/', protected: false },
  ];
}

/** Statuses a protected route may answer without a token: refused (400), unauthorized, unrouted or wrong method. */
export const REFUSALS = new Set([400, 401, 404, 405]);
