// Downloads a first-frame image from a URL a client named (server.fetch_image_urls): public hosts
// only, checked on the connection itself (outbound-http.ts), no redirects, at most maxBytes, one
// deadline for the whole download. What the client hears is "refused", "unreachable" or "not an
// image": never the remote status, whether a port answered, or what the content was.
import { OutboundHttp, outboundFailure, type Response } from '../http/outbound-http.js';
import { ApiError } from '../errors/api-error.js';
import { ValidationError } from '../errors/validation-error.js';

const DOWNLOAD_TIMEOUT_MS = 15_000;

export interface ImageUrlRules {
  maxBytes: number;
  field: string;
}

export function imageUrlProblem(
  field: string,
  verdict: 'refused' | 'unreachable' | 'not_an_image',
  maxBytes: number,
): ApiError {
  const message = {
    refused: 'URL refused: only public http(s) hosts are fetched, and redirects are not followed',
    unreachable: 'URL unreachable',
    not_an_image: `URL is not an image (a PNG, JPEG or WebP of at most ${maxBytes} bytes)`,
  }[verdict];
  return new ValidationError([{ field, message }]);
}

/** The URL's bytes, at most maxBytes of them; anything else is a 400 in the words above. */
export async function downloadImageUrl(url: string, rules: ImageUrlRules): Promise<Buffer> {
  // One client per download: its connections (checked ones) end with it.
  const http = new OutboundHttp({ publicOnly: true });
  try {
    let res: Response;
    try {
      res = await http.fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    } catch (err) {
      throw imageUrlProblem(
        rules.field,
        outboundFailure(err) === 'refused' ? 'refused' : 'unreachable',
        rules.maxBytes,
      );
    }
    if (res.status >= 300 && res.status < 400) throw imageUrlProblem(rules.field, 'refused', rules.maxBytes);
    if (!res.ok || !res.body) throw imageUrlProblem(rules.field, 'unreachable', rules.maxBytes);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > rules.maxBytes) throw imageUrlProblem(rules.field, 'not_an_image', rules.maxBytes);
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw imageUrlProblem(rules.field, 'unreachable', rules.maxBytes);
    }
    return Buffer.concat(chunks);
  } finally {
    await http.close();
  }
}
