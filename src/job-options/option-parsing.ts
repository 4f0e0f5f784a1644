// A job's options as a request body carries them, made into what the job record stores: each option
// checked against who may send it (option-policy.ts), the image fetched or decoded within the caps,
// the webhook URL checked for a public host, in a fixed key order (an idempotent replay hashes the same).
import type { JobOptionName, AppConfig } from '../config/schema.js';
import { JOB_OPTION_NAMES, WEBHOOK_EVENTS } from '../config/schema.js';
import type { JobOptions } from '../jobs/stored-job-options.js';
import { publicUrlProblem } from '../http/outbound-http.js';
import { ValidationError, type FieldProblem } from '../errors/validation-error.js';
import { imageFromBytes, imageFromString } from './option-image.js';
import { requireDecodableImage } from './image-decode.js';
import { imageUrlProblem } from './image-url.js';

/** Options as parsed from the body; `image` is a data URI/URL string or uploaded bytes. */
export type RawJobOptions = Partial<Omit<JobOptions, 'image' | 'webhook'>> & {
  image?: string | Buffer;
  webhook?: { url: string; events?: string[] | undefined };
};

/** 400 for every option sent that the principal may not send. */
export function refuseDisallowed(
  sent: readonly string[],
  allowed: ReadonlySet<JobOptionName>,
  field: (name: string) => string = (n) => `options.${n}`,
): void {
  const list = [...allowed].join(', ');
  const problems: FieldProblem[] = sent
    .filter((name) => !allowed.has(name as JobOptionName))
    .map((name) => ({
      field: field(name),
      message: `is not allowed on this server (${list ? `allowed options: ${list}` : 'it accepts no per-job options'}; the server setting server.job_options lists those clients may send)`,
    }));
  if (problems.length) throw new ValidationError(problems);
}

/** The stored options, in a fixed key order (so an idempotent replay hashes the same). */
export async function storedOptions(raw: RawJobOptions, config: AppConfig): Promise<JobOptions> {
  const out: JobOptions = {};
  for (const name of JOB_OPTION_NAMES) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === 'image') {
      const rules = {
        maxBytes: config.server.max_image_bytes,
        fetchUrls: config.server.fetch_image_urls,
        field: 'options.image',
      };
      const image = Buffer.isBuffer(value)
        ? imageFromBytes(value, rules)
        : await imageFromString(value as string, rules);
      out.image = image;
      // Decoded, not sniffed: type, dimensions and pixel count within the caps. What a downloaded
      // image turned out to be stays unsaid, like the download's other failures (image-url.ts).
      const downloaded = typeof value === 'string' && !value.startsWith('data:');
      await requireDecodableImage(
        image,
        config,
        rules.field,
        downloaded ? () => imageUrlProblem(rules.field, 'not_an_image', rules.maxBytes) : undefined,
      );
    } else if (name === 'webhook') {
      const hook = value as NonNullable<RawJobOptions['webhook']>;
      if (!config.webhooks.allow_private_urls) {
        // Said in the client's words only: what the host resolves to stays with the server.
        const problem = await publicUrlProblem(hook.url);
        if (problem?.failure === 'refused')
          throw new ValidationError([
            {
              field: 'options.webhook.url',
              message: 'is refused: its host is not a public address (webhooks.allow_private_urls is off)',
            },
          ]);
        if (problem)
          throw new ValidationError([
            { field: 'options.webhook.url', message: 'is unreachable: its host does not resolve' },
          ]);
      }
      out.webhook = { url: hook.url, events: hook.events ?? [...WEBHOOK_EVENTS] };
    } else {
      (out as Record<string, unknown>)[name] = value;
    }
  }
  return out;
}
