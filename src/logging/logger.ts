// pino logger whose every line is scrubbed of secrets and signed-URL parameters before it is written.
import { pino, type Logger, type DestinationStream } from 'pino';
import { redactText } from './redact.js';
import { batchedDestination } from './batched-destination.js';

export interface LoggerOptions {
  level: string;
  /** Secret values from the config, replaced wherever they appear. */
  secrets?: string[];
  destination?: DestinationStream;
}

/** A URL with signature-bearing query parameters redacted. */
export function redactUrl(url: string): string {
  return redactText(url);
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      level: options.level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          'headers.authorization',
        ],
        censor: '[REDACTED]',
      },
      serializers: {
        req: (req: {
          method?: string;
          url?: string;
          id?: string;
          ip?: string;
          raw?: { httpVersion?: string };
          headers?: Record<string, unknown>;
        }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url) : req.url,
          id: req.id,
          remote: req.ip,
          protocol: req.headers?.['x-forwarded-proto'] ?? undefined,
          http_version: req.raw?.httpVersion,
        }),
      },
      // Last line of defence: whatever was logged, secrets and signatures do not reach the output.
      hooks: {
        streamWrite: (line: string) => redactText(line, secrets),
      },
    },
    // Asynchronous writes to stdout, one per event-loop turn: logging must not hold up the event loop
    // under load (batched-destination.ts).
    options.destination ?? batchedDestination(pino.destination({ dest: 1, sync: false })),
  );
}
