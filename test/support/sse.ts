// Reads a Server-Sent Events response into parsed events (eventsource-parser), for tests.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseRead {
  events: EventSourceMessage[];
  comments: string[];
  /** True when the server ended the stream (not aborted by us). */
  ended: boolean;
}

/** Reads until the stream ends or `stop(events)` returns true (then aborts the connection). */
export async function readSse(
  url: string,
  options: {
    headers?: Record<string, string>;
    stop?: (events: EventSourceMessage[], comments: string[]) => boolean;
  } = {},
): Promise<SseRead & { status: number; contentType: string | null }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...options.headers },
    signal: controller.signal,
  });
  const result: SseRead = { events: [], comments: [], ended: false };
  if (!res.ok || !res.body) return { ...result, status: res.status, contentType: res.headers.get('content-type') };
  let stopped = false;
  const check = () => {
    if (!stopped && options.stop?.(result.events, result.comments)) {
      stopped = true;
      controller.abort();
    }
  };
  const parser = createParser({
    onEvent: (e) => {
      result.events.push(e);
      check();
    },
    onComment: (c) => {
      result.comments.push(c);
      check();
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      parser.feed(decoder.decode(chunk, { stream: true }));
    result.ended = true;
  } catch (err) {
    if (!stopped) throw err;
  }
  return { ...result, status: res.status, contentType: res.headers.get('content-type') };
}
