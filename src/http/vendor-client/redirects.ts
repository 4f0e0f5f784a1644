// The redirect policy of every vendor call and download: redirects are followed by hand, at most
// MAX_REDIRECTS, and only to https or to a host the operator configured for the vendor over plain
// http (a CDN that bounces to http elsewhere, or to an internal address, is refused), and the
// vendor's auth headers never leave the host they were meant for.
export const MAX_REDIRECTS = 5;

export interface RedirectPolicy {
  /** Named in the refusal ("a configured runway host"). */
  vendor: string;
  /** Hosts (host:port) a redirect may lead to over plain http: the vendor's configured endpoints. */
  trustedHosts: string[];
  /** Sent to the first URL's host only. */
  auth?: Record<string, string>;
  /** The caller's error for a refused redirect; `from` is the URL that answered with it. */
  refuse: (from: string, why: string, status: number) => Error;
}

/** The host:port of each configured endpoint URL, for RedirectPolicy.trustedHosts. */
export function hostsOf(...urls: (string | undefined)[]): string[] {
  return urls.flatMap((u) => {
    try {
      return u ? [new URL(u).host] : [];
    } catch {
      return [];
    }
  });
}

/** Sends `init` to `url`, following redirects only where `policy` allows; gives the final answer and its URL. */
export async function fetchFollowingRedirects(
  url: string,
  init: RequestInit & { headers?: Record<string, string> },
  policy: RedirectPolicy,
): Promise<{ res: Response; url: string }> {
  const origin = new URL(url).host;
  let current = url;
  let request: RequestInit & { headers?: Record<string, string> } = init;
  for (let hop = 0; ; hop += 1) {
    const sameHost = new URL(current).host === origin;
    const res = await fetch(current, {
      ...request,
      headers: { ...request.headers, ...(sameHost ? policy.auth : {}) },
      redirect: 'manual',
    });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return { res, url: current };
    await res.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw policy.refuse(url, `redirected more than ${MAX_REDIRECTS} times`, res.status);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw policy.refuse(current, 'redirected to an invalid URL', res.status);
    }
    if (next.protocol !== 'https:' && !(next.protocol === 'http:' && policy.trustedHosts.includes(next.host))) {
      throw policy.refuse(
        current,
        `redirected to ${next.protocol}//${next.host}, which is neither https nor a configured ${policy.vendor} host`,
        res.status,
      );
    }
    // 303, and 301/302 after a POST, turn into a GET without a body, as browsers and fetch() do.
    const method = (request.method ?? 'GET').toUpperCase();
    if (res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST') {
      const { 'content-type': _type, ...headers } = request.headers ?? {};
      request = { ...request, method: 'GET', body: undefined, headers };
    }
    current = next.toString();
  }
}
