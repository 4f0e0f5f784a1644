// GET /v1/jobs/{id}/events: Server-Sent Events of the job's journal (status, progress, log), each
// with an id; Last-Event-ID resumes after it; comment heartbeats while idle; the stream ends after
// a terminal status. Streams sleep until the queue's change notification (JobQueue.watch) wakes
// them; each adapter delivers other processes' writes to it (SQLite: data_version check, Redis:
// pub/sub), and a stream re-reads at each heartbeat as a slow fallback. Streams are capped per
// client and per process (503 + Retry-After beyond). A stream whose key is revoked ends with a
// `revoked` event (key-revocations.ts: at once for a revocation in this process, within about a
// second for one elsewhere).
import type { FastifyInstance } from 'fastify';
import type { JobEvent, JobQueue } from '../../jobs/job-queue.js';
import { isTerminal, type JobStatus } from '../../jobs/job.js';
import { JobNotFoundError } from '../../errors/job-not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { securityHeaders, type SecurityHeaderOptions } from '../plugins/security-headers.js';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import { ownedJob, principalOf } from './owned-job.js';
import type { KeyRevocations } from '../../access/key-revocations.js';
import { jobIdParam } from './route-params.js';
import { jobEventsSchema } from '../route-schemas.js';
import { eventStreamHeadersSchema, parseRequestPart } from '../schemas.js';
import { ApiError } from '../../errors/api-error.js';
import { clientKey } from '../plugins/rate-limit.js';
import { StreamSlots } from './stream-slots.js';

export interface EventRoutesOptions {
  queue: JobQueue;
  heartbeatMs: number;
  headers: SecurityHeaderOptions;
  maxStreams: number;
  maxStreamsPerClient: number;
  /** Revocations of the keys streams were opened with; without it streams outlive a revocation. */
  revocations?: KeyRevocations;
}

/** The last frame of a stream whose key was revoked (no id: a resume cursor must not move). */
const REVOKED_FRAME = `event: revoked\ndata: ${JSON.stringify({ error: 'Unauthorized', message: 'The API key this stream was opened with has been revoked' })}\n\n`;

/** JobQueue.events' default page size. */
const EVENTS_PAGE = 500;

// Every status event carries the documented keys, also those journaled before they all did.
const statusData = (d: Record<string, unknown>) => ({
  status: d.status,
  stage: d.stage,
  progress: d.progress,
  error: d.error ?? null,
  artifact_uri: d.artifact_uri ?? null,
});

function frame(event: JobEvent): string {
  const data = event.type === 'status' ? statusData(event.data) : event.data;
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A resume at or past the terminal status (EventSource clients reconnect after the stream ends and
 * send the last id they saw) must not wait for events that will never come: when the job is
 * terminal and what is left holds no terminal status, the terminal status is sent again (under the
 * last id, so the client's cursor does not move back) and the stream ends.
 */
async function withTerminalStatus(
  queue: JobQueue,
  id: string,
  pending: JobEvent[],
  lastEventId: string | null,
): Promise<JobEvent[]> {
  if (pending.some((e) => e.type === 'status' && isTerminal(e.data.status as JobStatus))) return pending;
  if (pending.length >= EVENTS_PAGE) return pending; // more to come: the terminal status is further on
  const job = await queue.get(id);
  if (!job || !isTerminal(job.status)) return pending;
  const eventId = pending.at(-1)?.id ?? lastEventId ?? '0';
  return [
    ...pending,
    {
      id: eventId,
      type: 'status',
      data: {
        status: job.status,
        stage: job.stage,
        progress: job.progress,
        error: job.error,
        artifact_uri: job.artifact_uri,
      },
    },
  ];
}

export async function eventRoutes(app: FastifyInstance, options: EventRoutesOptions): Promise<void> {
  const { queue } = options;
  const slots = new StreamSlots(options.maxStreams, options.maxStreamsPerClient);
  // Open streams end when the server closes, so that shutdown does not wait for clients.
  const open = new Set<() => void>();
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    for (const end of open) end();
    done();
  });

  app.get('/v1/jobs/:id/events', { schema: jobEventsSchema }, async (request, reply) => {
    const id = jobIdParam(request);
    await ownedJob(queue, request, id);
    const lastEventId = parseRequestPart(eventStreamHeadersSchema, request.headers, 'headers')['last-event-id'] ?? null;
    let pending: JobEvent[] | null;
    try {
      pending = await queue.events(id, lastEventId);
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ValidationError([{ field: 'Last-Event-ID', message: 'is not an event id of this job' }]);
      throw err;
    }
    if (pending === null) throw new JobNotFoundError(id);
    pending = await withTerminalStatus(queue, id, pending, lastEventId);
    // HEAD (Fastify routes it here too) gets the stream's headers, never an endless body.
    if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').send();

    const client = clientKey(request);
    const refused = slots.acquire(client);
    if (refused) throw new ApiError('ServiceUnavailable', refused);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...securityHeaders(request, options.headers),
      'content-type': 'text/event-stream; charset=utf-8',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');

    let cursor = lastEventId;
    let closed = false;
    let wake: (() => void) | null = null;
    // Set by a notification that arrives while the stream is reading, so that it is not lost.
    let changed = false;
    const stopWatching = queue.watch(id, () => {
      changed = true;
      wake?.();
    });
    const end = () => {
      closed = true;
      wake?.();
    };
    open.add(end);
    request.raw.on('close', end);
    let revoked = false;
    const stopRevocationWatch = options.revocations?.watch(principalOf(request).keyId, () => {
      revoked = true;
      end();
    });
    let lastWrite = Date.now();
    let finished = false;
    try {
      while (!closed) {
        for (const event of pending ?? []) {
          res.write(frame(event));
          cursor = event.id;
          lastWrite = Date.now();
          if (event.type === 'status' && isTerminal(event.data.status as JobStatus)) finished = true;
        }
        if (finished) {
          // Drain what was written with the terminal status (its log line), then end the stream.
          for (const event of (await queue.events(id, cursor)) ?? []) res.write(frame(event));
          break;
        }
        if (!changed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.heartbeatMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
        changed = false;
        if (closed) break;
        if (Date.now() - lastWrite >= options.heartbeatMs) {
          res.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        try {
          pending = await queue.events(id, cursor);
        } catch {
          pending = []; // store hiccup: keep the stream, try again on the next turn
        }
        if (pending === null) break; // the job expired away
      }
    } finally {
      slots.release(client);
      open.delete(end);
      stopWatching();
      stopRevocationWatch?.();
      if (revoked && !res.writableEnded) res.write(REVOKED_FRAME);
      // At shutdown the socket goes too: kept alive, it would hold up the server's close.
      if (!res.writableEnded)
        res.end(() => {
          if (closing) request.raw.socket?.destroy();
        });
    }
  });
}
