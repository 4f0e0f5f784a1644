// One access-log line per request, on response: method, path (signed query redacted by the logger's
// streamWrite hook), status, duration, request id, client address and protocol (from the edge's
// X-Forwarded-Proto). The line is the one `request.log.info({method, url, …}, 'request')` writes,
// but put together as a string from the logger's own parts (pino.symbols, pino's interface for
// integrations): no object to build, walk and serialize per request, and no per-request child
// logger. A logger that reshapes its lines (formatters, mixins, nested keys, message prefixes, a
// multistream that reads line metadata) gets the object through request.log instead.
import { pino, type Logger } from 'pino';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';

const INFO = 30;
const {
  lsCacheSym,
  timeSym,
  chindingsSym,
  streamSym,
  endSym,
  hooksSym,
  formattersSym,
  mixinSym,
  nestedKeySym,
  messageKeySym,
  needsMetadataGsym,
} = pino.symbols;

/** What the access log writes; the caller has the client's protocol already (the metrics count by it too). */
export type AccessLog = (request: FastifyRequest, reply: FastifyReply, ms: number, protocol: string) => void;

type PinoInternals = Record<symbol, unknown> & Logger;

function reshapesLines(logger: PinoInternals): boolean {
  const formatters = logger[formattersSym] as { log?: unknown } | undefined;
  const stream = logger[streamSym] as Record<symbol, unknown> | undefined;
  return Boolean(
    formatters?.log ||
    logger[mixinSym] ||
    logger[nestedKeySym] ||
    logger.msgPrefix ||
    logger[messageKeySym] !== 'msg' ||
    stream?.[needsMetadataGsym] === true,
  );
}

// Printable ASCII but `"` and `\`: such a string is its own JSON text between quotes.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A string as JSON (clients send most of them: quotes, backslashes, control characters are escaped). */
const json = (value: string | string[]): string =>
  typeof value === 'string' && PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);

/** The access log of `logger`, the app's own (app.log, whose children are the request loggers). */
export function accessLog(logger: FastifyBaseLogger): AccessLog {
  const pinoLogger = logger as unknown as PinoInternals;
  const isPino = typeof pinoLogger[streamSym] === 'object' && pinoLogger[streamSym] !== null;
  // Not pino: Fastify's stand-in that writes nothing (no logger given), or a logger of another make.
  if (!isPino || reshapesLines(pinoLogger)) return objectLine;
  const time = pinoLogger[timeSym] as () => string;
  const stream = pinoLogger[streamSym] as { write(line: string): void };
  const streamWrite = (pinoLogger[hooksSym] as { streamWrite?: (line: string) => string } | undefined)?.streamWrite;
  const end = pinoLogger[endSym] as string;
  return (request, reply, ms, protocol) => {
    // Read per line: the level may change while the server runs ("silent" is Infinity).
    if (pinoLogger.levelVal > INFO) return;
    const head = (pinoLogger[lsCacheSym] as Record<number, string>)[INFO]!;
    const ip = request.ip;
    const line = `${head}${time()}${pinoLogger[chindingsSym] as string},"reqId":${json(request.id)},"method":${json(request.method)},"url":${json(request.url)},"status":${reply.statusCode},"ms":${ms}${ip === undefined ? '' : `,"remote":${json(ip)}`},"http":${json(request.raw.httpVersion)},"protocol":${json(protocol)},"proto":${json(request.headers['x-forwarded-proto'] ?? request.protocol)},"msg":"request"${end}`;
    stream.write(streamWrite ? streamWrite(line) : line);
  };
}

function objectLine(request: FastifyRequest, reply: FastifyReply, ms: number, protocol: string): void {
  request.log.info(
    {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms,
      remote: request.ip,
      http: request.raw.httpVersion,
      protocol,
      proto: request.headers['x-forwarded-proto'] ?? request.protocol,
    },
    'request',
  );
}
