// Request targets that are not in their normal form, which the first root onRequest hook
// (request-policy.ts) refuses before any other hook or a route runs: absolute-form
// ("GET http://host/v1/jobs"), percent-encoded characters that need no encoding (%76 for "v", %2F
// for "/", %2E for "."), lowercase hex in escapes, dot segments, empty segments ("//"), ";"
// parameters, backslashes (raw or %5C), control characters, invalid or overlong UTF-8, and a
// trailing slash (except "/"). A path that passes means one thing to every proxy, to the router
// and to us; the router's own tolerance (decoding, host stripping) then has nothing to tolerate.
// Hand-written: no library states this exact rule, and it is a few string checks (RFC 3986 §6.2.2).

// RFC 3986 pchar minus "%" (checked on its own) and ";" (refused: some servers split parameters on it).
const RAW_ALLOWED = /^[A-Za-z0-9\-._~!$&'()*+,=:@/%]*$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// The shape nearly every request has, accepted by one regular expression: "/", or segments of
// allowed characters without "%" that are neither "." nor "..", no trailing slash, then an optional
// query without a fragment. Anything else takes the full check (normalTargetProblem); a unit test
// holds the two to the same verdict over the path corpus. Why: the full check allocates (split,
// decode, match iterators) on every request, and status reads are measured against a bare server.
const SEGMENT = String.raw`(?!\.\.?(?:[/?]|$))[A-Za-z0-9\-._~!$&'()*+,=:@]+`;
const PLAIN_TARGET = new RegExp(String.raw`^/(?:${SEGMENT}(?:/${SEGMENT})*)?(?:\?[^#]*)?$`);

/** Why `target` is not a normal-form origin-form request target, or null when it is. */
export function targetProblem(target: string): string | null {
  return PLAIN_TARGET.test(target) ? null : normalTargetProblem(target);
}

/** The full check, without the fast path (exported for the test that holds the two together). */
export function normalTargetProblem(target: string): string | null {
  if (!target.startsWith('/')) return 'the request target must be a path (origin-form), not an absolute URL';
  const cut = target.search(/[?#]/);
  if (cut !== -1 && target[cut] === '#') return 'the request target must not carry a fragment';
  const path = cut === -1 ? target : target.slice(0, cut);
  if (path.includes('\\')) return 'the path must not contain a backslash';
  if (path.includes(';')) return 'the path must not contain ";" parameters';
  if (!RAW_ALLOWED.test(path)) return 'the path contains characters that must be percent-encoded';
  if (path.length > 1 && path.endsWith('/')) return 'the path must not end with "/"';
  for (const match of path.matchAll(/%(..?)/g)) {
    const hex = match[1] ?? '';
    if (!/^[0-9A-F]{2}$/.test(hex)) return 'percent-escapes must be two uppercase hex digits';
    const char = String.fromCharCode(parseInt(hex, 16));
    if (UNRESERVED.test(char) || char === '/' || char === '\\')
      return `"%${hex}" encodes a character that must appear as itself or not at all`;
    if (char < ' ' || char === '\x7f') return 'the path must not encode control characters';
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path); // throws on invalid and overlong UTF-8 sequences
  } catch {
    return 'the path is not valid percent-encoded UTF-8';
  }
  const segments = decoded.split('/').slice(1);
  if (segments.some((s, i) => s === '' && !(i === 0 && segments.length === 1)))
    return 'the path must not contain empty segments ("//")';
  if (segments.some((s) => s === '.' || s === '..')) return 'the path must not contain "." or ".." segments';
  return null;
}
