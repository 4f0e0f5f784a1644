// The one configuration namespace of ttv. api_config.yaml sections (server, redis, gcs, storage,
// security, worker, webhooks) and pipeline_config.yaml top-level keys live side by side, so one file
// may hold both, and an existing Python ttv-pipeline file keeps working.
import { isIP } from 'node:net';
import { z } from 'zod';
import { catalogRowSchema } from './catalog-row-schema.js';
import { foldPythonAliases } from './python-aliases.js';

/** Options a job may carry when the operator allows them (server.job_options). */
export const JOB_OPTION_NAMES = [
  'backend',
  'generation_mode',
  'duration_seconds',
  'segment_duration_seconds',
  'aspect_ratio',
  'resolution',
  'seed',
  'negative_prompt',
  'image',
  'webhook',
  'max_cost_usd',
] as const;
export type JobOptionName = (typeof JOB_OPTION_NAMES)[number];

/** First-frame image types ttv accepts (as ffprobe names the format: png, jpeg, webp). */
export const IMAGE_TYPES = ['png', 'jpeg', 'webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

const port = z.number().int().min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');
const portOrZero = z.number().int().min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535');
const positiveSeconds = z.number().positive('must be positive');
// A Host header's name part: a DNS name, an IPv4 address or an IPv6 address (bracketed or not); no
// port, scheme, path or wildcard.
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const allowedHost = z.string().refine((value) => {
  const bare = value.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) === 6 || (bare === value && (isIP(value) === 4 || DNS_NAME.test(value)));
}, 'must be a host name or IP address, without scheme, port or path');

export const serverSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    // 0 asks the OS for a free port (tests, benchmarks).
    port: portOrZero.default(8000),
    quic_port: port.nullable().default(null),
    alt_svc_max_age: z.number().int().positive().default(86400),
    // Python's Hypercorn worker count; accepted for compatibility, ttv scales with `ttv worker` processes.
    workers: z.number().int().positive().optional(),
    // (server.cors_origins, the Python key, is folded into security.cors_origins: see python-aliases.ts.)
    // Base URL of the local store's signed download links; without it, the address and port the
    // connection reached (never the client's Host header).
    public_url: z.string().url().nullable().default(null),
    // Host names (besides the loopback ones) this server answers for: in open mode always checked,
    // with a list set also in keyed mode; any other Host gets 421 (docs/security.md "Open mode").
    allowed_hosts: z.array(allowedHost).max(100).default([]),
    tls: z
      .object({
        cert_path: z.string().nullable().default(null),
        key_path: z.string().nullable().default(null),
      })
      .strict()
      .default({ cert_path: null, key_path: null }),
    body_limit_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    // Plain HTTP is for loopback development; behind a TLS-terminating edge or load balancer on a
    // private network, set this to serve plain HTTP on another address.
    allow_plain_http: z.boolean().default(false),
    // Deprecated and ignored (deprecated-keys.ts); validated so that a bad value still names its key.
    shutdown_grace_seconds: positiveSeconds.optional(),
    // Comment lines on idle event streams, so proxies and clients keep them open.
    sse_heartbeat_seconds: positiveSeconds.default(15),
    // Exhaustion limits (docs/configuration.md "Connections and timeouts"): a request must arrive whole
    // within request_timeout (its headers within headers_timeout); a socket with no traffic either way
    // for idle_timeout is closed; a kept-alive socket waits keep_alive_timeout for its next request.
    request_timeout_seconds: positiveSeconds.max(3600).default(30),
    headers_timeout_seconds: positiveSeconds.max(600).default(10),
    idle_timeout_seconds: positiveSeconds.max(3600).default(90),
    // Above common load-balancer idle timeouts (60 s), so a proxy never reuses a socket we just closed.
    keep_alive_timeout_seconds: positiveSeconds.max(600).default(72),
    max_connections: z.number().int().min(1).max(1_000_000).default(1000),
    // Sockets from one remote address (not applied to security.trusted_proxies: the edge caps its own clients).
    max_connections_per_address: z.number().int().min(1).max(1_000_000).default(64),
    // Open event streams, per process and per client (bearer token, else address).
    max_sse_streams: z.number().int().min(1).max(1_000_000).default(500),
    max_sse_streams_per_client: z.number().int().min(1).max(100_000).default(8),
    // Per-job options clients may send (POST /v1/jobs "options", POST /v1/videos); empty = prompt only.
    job_options: z.array(z.enum(JOB_OPTION_NAMES)).default([]),
    // Per API key (its id or name): that key's own list instead of job_options.
    job_options_by_key: z.record(z.string().min(1), z.array(z.enum(JOB_OPTION_NAMES))).default({}),
    // Largest first-frame image a client may send (decoded bytes).
    max_image_bytes: z
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(5 * 1024 * 1024),
    // Let `image` be an http(s) URL the server downloads (public hosts only).
    fetch_image_urls: z.boolean().default(false),
    // A first-frame image must decode (ffprobe, media.probe_timeout_seconds) as one of these types
    // within these dimensions; anything else is a 400 at submission (docs/security.md).
    image_types: z
      .array(z.enum(IMAGE_TYPES))
      .min(1, 'must list at least one image type')
      .default([...IMAGE_TYPES]),
    max_image_width: z.number().int().min(16).max(16384).default(8192),
    max_image_height: z.number().int().min(16).max(16384).default(8192),
    // Above 8K UHD (33.2 MP); one decoded frame of this many pixels is ~160 MB as RGBA.
    max_image_pixels: z.number().int().min(256).max(268_435_456).default(40_000_000),
    // Request bodies (docs/security.md): JSON nesting depth, object keys plus array items in one JSON
    // text, and parts of one multipart body. The minimums keep every well-formed request possible.
    max_json_depth: z.number().int().min(4).max(1000).default(16),
    max_json_entries: z.number().int().min(32).max(1_000_000).default(1000),
    max_multipart_parts: z.number().int().min(8).max(10_000).default(32),
  })
  .strict()
  .superRefine((server, ctx) => {
    if (server.headers_timeout_seconds > server.request_timeout_seconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['headers_timeout_seconds'],
        message: 'must not exceed server.request_timeout_seconds',
      });
    }
    if (server.idle_timeout_seconds <= server.sse_heartbeat_seconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['idle_timeout_seconds'],
        message: 'must be longer than server.sse_heartbeat_seconds (idle event streams would be cut)',
      });
    }
    if (server.max_connections_per_address > server.max_connections) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_connections_per_address'],
        message: 'must not exceed server.max_connections',
      });
    }
    if (server.max_sse_streams_per_client > server.max_sse_streams) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_sse_streams_per_client'],
        message: 'must not exceed server.max_sse_streams',
      });
    }
  });

export const securitySchema = z
  .object({
    auth_token: z.string().nullable().default(null),
    rate_limit_per_minute: z.number().int().positive('must be positive').default(60),
    read_rate_limit_per_minute: z.number().int().positive().default(1200),
    // Demand an API key on /v1 even while no key exists yet and no auth_token is set (keys from `ttv keys create`).
    require_api_key: z.boolean().default(false),
    // Presented keys that fail, per client address (X-Forwarded-For only from trusted_proxies) and
    // minute; beyond it every key from that address gets 429 until the minute ends.
    auth_failures_per_minute: z.number().int().positive('must be a positive integer').max(1_000_000).default(10),
    // Queued jobs one API key may have at once; beyond it submissions get 429 QueueFull (null = no per-key cap).
    max_queued_jobs_per_key: z.number().int().positive('must be a positive integer').nullable().default(null),
    cors_origins: z.array(z.string()).default([]),
    trusted_proxies: z.array(z.string()).default([]),
  })
  .strict();

const REDIS_NODE_FORMS = 'must be "host:port", "rediss://host:port" or {host, port}';

/**
 * A Redis node: "host:port", {host, port}, or a URL "redis://host:port" / "rediss://host:port" whose
 * scheme says whether the node speaks TLS (`tls`, kept so that the section can refuse a mix). A URL
 * carries no user, password, database or options: those are the section's, the same for every node.
 */
const redisNode = z.preprocess(
  (value, ctx) => {
    if (typeof value !== 'string') return value;
    const match = /^([^\s:/]+):(\d{1,5})$/.exec(value);
    if (match) return { host: match[1], port: Number(match[2]) };
    if (!/^rediss?:\/\//i.test(value)) return value;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return value;
    }
    // Never echo the value: it may hold a password.
    const problem =
      url.username || url.password
        ? 'must not carry a user or password: give them as redis.username and redis.password'
        : (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash
          ? 'must be scheme://host:port only (no database, path or options)'
          : !url.port
            ? 'must name the port ("rediss://host:port")'
            : null;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, input: '' });
      return z.NEVER;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { host, port: Number(url.port), tls: url.protocol.toLowerCase() === 'rediss:' };
  },
  z.object({ host: z.string().min(1), port, tls: z.boolean().optional() }, { error: REDIS_NODE_FORMS }).strict(),
);

/** The scheme a redis.url names: true for rediss://, false for redis://, null when it names none. */
function urlTls(url: string): boolean | null {
  if (/^rediss:\/\//i.test(url)) return true;
  return /^redis:\/\//i.test(url) ? false : null;
}

/** The user name a redis.url carries, if any. */
function urlUsername(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    return '';
  }
}

// Files read at startup (stores/redis-endpoint.ts); a path relative to a config file is relative to
// that file's directory (load-config.ts).
const redisTlsSchema = z
  .object({
    ca: z.string().min(1).nullable().default(null),
    cert: z.string().min(1).nullable().default(null),
    key: z.string().min(1).nullable().default(null),
    // The name the servers' certificates are checked against (and sent as SNI), for nodes reached by
    // IP address (Cluster nodes and Sentinel masters are announced by IP) whose certificate names a host.
    servername: z.string().min(1).nullable().default(null),
    reject_unauthorized: z.boolean().default(true),
  })
  .strict();

export const redisSchema = z
  .object({
    url: z.string().nullable().default(null),
    host: z.string().default('localhost'),
    port: port.default(6379),
    db: z.number().int().min(0).default(0),
    password: z.string().nullable().default(null),
    // The ACL user (Redis 6+) of every data node; with url, a user in the URL works too.
    username: z.string().min(1).nullable().default(null),
    // TLS to every node of the topology (Sentinels included); on as well when any URL is rediss://.
    tls: redisTlsSchema.nullable().default(null),
    key_prefix: z.string().min(1).default('ttv'),
    // Seconds a job record, its logs and events live after their last write: a backstop for the
    // retention sweep. null = retention.jobs_days plus one day (so the sweep, which also deletes the
    // job's artifact, comes first), or forever when retention.jobs_days is 0.
    job_ttl_seconds: z.number().int().positive().nullable().default(null),
    // A Redis Cluster: any of its nodes (the rest are discovered; MOVED/ASK are followed). Every key
    // of the store lives in one hash slot: key_prefix is wrapped in braces unless it has a {tag}.
    cluster: z
      .object({ nodes: z.array(redisNode).min(1, 'must list at least one node') })
      .strict()
      .nullable()
      .default(null),
    // A master found through Redis Sentinel. password: the master's (else redis.password);
    // sentinel_username / sentinel_password: the Sentinels' own, when they require them.
    sentinel: z
      .object({
        name: z.string().min(1),
        sentinels: z.array(redisNode).min(1, 'must list at least one sentinel'),
        password: z.string().nullable().default(null),
        sentinel_username: z.string().min(1).nullable().default(null),
        sentinel_password: z.string().nullable().default(null),
        // A submission is answered 202 only after this many of the master's connected replicas hold
        // it (Redis WAIT), so a failover cannot lose an accepted job; 0 answers as soon as the master has it.
        replicas_to_ack: z.number().int().min(0).default(1),
        replica_ack_timeout_ms: z.number().int().positive().default(1000),
      })
      .strict()
      .nullable()
      .default(null),
  })
  .strict()
  .superRefine((redis, ctx) => {
    const modes = [
      redis.url ? 'url' : null,
      redis.cluster ? 'cluster' : null,
      redis.sentinel ? 'sentinel' : null,
    ].filter(Boolean);
    if (modes.length > 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [modes[1]!],
        message: `cannot be combined with redis.${modes[0]}: give one of url (or host/port), cluster, sentinel`,
      });
    }
    if (redis.cluster && redis.db !== 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['db'],
        message: 'must be 0 with redis.cluster (a Cluster has only database 0)',
      });
    }
    if (redis.tls && !redis.tls.cert !== !redis.tls.key) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['tls', redis.tls.cert ? 'key' : 'cert'],
        message: `must be set together with redis.tls.${redis.tls.cert ? 'cert' : 'key'} (a client certificate and its key)`,
      });
    }
    // Every node of a topology speaks TLS or none does: a redis:// URL next to rediss:// ones, or
    // next to redis.tls, is a mistake that would otherwise surface as a connection that never comes up.
    const schemes = (field: string, nodes: { tls?: boolean | undefined }[]) => {
      const given = nodes.map((n) => n.tls).filter((t): t is boolean => t !== undefined);
      if (given.includes(true) && given.includes(false)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: field.split('.'),
          message: 'mixes rediss:// and redis:// nodes: give every node the same scheme (rediss:// for TLS)',
        });
      } else if (redis.tls && given.includes(false)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: field.split('.'),
          message: 'names redis:// (no TLS) while redis.tls is set: use rediss://, or host:port',
        });
      }
    };
    if (redis.cluster) schemes('cluster.nodes', redis.cluster.nodes);
    if (redis.sentinel) schemes('sentinel.sentinels', redis.sentinel.sentinels);
    if (redis.url) {
      if (redis.tls && urlTls(redis.url) === false) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['url'],
          message: 'is redis:// (no TLS) while redis.tls is set: use rediss://',
        });
      }
      if (redis.username && urlUsername(redis.url)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['username'],
          message: 'cannot be combined with a user name in redis.url: give it in one place',
        });
      }
    }
  });

/**
 * PostgreSQL as the shared job store (docs/scaling.md): job records, logs, the events journal, leases,
 * API keys and rate-limit counters live in one database. TLS and its certificates are given the libpq
 * way, in the URL (`sslmode=verify-full` with `sslrootcert`, `sslcert`, `sslkey`; node-postgres reads `require` as verify-full too).
 */
export const postgresSchema = z
  .object({
    url: z
      .string({ error: 'must be a postgres:// URL' })
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'),
    // Connections of each process's job-store pool (request path and workers share it); the API keys,
    // rate-limit counters, LISTEN and migration take at most 10 more (docs/scaling.md).
    pool_size: z.number().int().min(2, 'must be at least 2').max(200).default(10),
    // The schema that holds ttv's tables (created when missing): several ttv installations can share a database.
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _)')
      .default('ttv'),
  })
  .strict();

export const gcsSchema = z
  .object({
    bucket: z.string().nullable().default(null),
    // (gcs.prefix, the Python key, becomes storage.prefix with storage.backend gcs: see python-aliases.ts.)
    credentials_path: z.string().nullable().default(null),
    // Unset: storage.signed_url_expiration applies (see config/signed-url-expiration.ts).
    signed_url_expiration: z
      .number()
      .int()
      .min(60, 'must be at least 60 seconds')
      .max(604800, 'must be at most 604800 seconds (7 days)')
      .optional(),
    api_endpoint: z.string().nullable().default(null),
    // Files above this size upload resumably, in chunks of upload_chunk_size_bytes (a multiple of 256 KiB).
    resumable_threshold_bytes: z
      .number()
      .int()
      .min(0)
      .default(8 * 1024 * 1024),
    upload_chunk_size_bytes: z
      .number()
      .int()
      .min(262144)
      .multipleOf(262144, 'must be a multiple of 262144 (256 KiB)')
      .default(8 * 1024 * 1024),
    max_retries: z.number().int().min(0).max(10).default(4),
    retry_delay_seconds: z.number().positive().max(60).default(1),
  })
  .strict();

export const storageSchema = z
  .object({
    backend: z.enum(['local', 'gcs', 's3']).default('local'),
    // Object key prefix of every store; for GCS the Python `gcs.prefix` wins when set (python-aliases.ts).
    prefix: z.string().default('ttv-api'),
    signed_url_expiration: z.number().int().min(60).max(604800).default(3600),
    local: z
      .object({
        // Defaults to <data_dir>/artifacts.
        dir: z.string().nullable().default(null),
        // HMAC key for download links; generated and kept in <data_dir>/signing.key when absent.
        signing_secret: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
      })
      .strict()
      .default({ dir: null, signing_secret: null }),
    s3: z
      .object({
        bucket: z.string().nullable().default(null),
        region: z.string().default('us-east-1'),
        endpoint: z.string().nullable().default(null),
        force_path_style: z.boolean().default(false),
        access_key_id: z.string().nullable().default(null),
        secret_access_key: z.string().nullable().default(null),
      })
      .strict()
      .optional(),
  })
  .strict();

export const workerSchema = z
  .object({
    // Whether `ttv serve` runs workers in-process.
    enabled: z.boolean().default(true),
    concurrency: z.number().int().min(1).max(64).default(2),
    // A job whose worker died is retried until it has been started this many times, then failed.
    max_attempts: z.number().int().min(1).max(20).default(3),
    lease_seconds: positiveSeconds.default(30),
    heartbeat_seconds: positiveSeconds.default(5),
    // SIGTERM → wait → SIGKILL for subprocesses of a canceled job.
    cancel_grace_seconds: positiveSeconds.default(5),
    // Queued jobs in the whole store; beyond it submissions get 503 QueueFull with Retry-After (null = no cap).
    max_queued_jobs: z.number().int().positive('must be a positive integer').nullable().default(10_000),
    // On SIGTERM a worker stops taking jobs and waits this long for running ones.
    shutdown_grace_seconds: positiveSeconds.default(30),
    // Below this much free space under data_dir a worker takes no new job (they stay queued and
    // /readyz says why); 0 turns the check off.
    min_free_disk_mb: z.number().int().min(0).default(512),
  })
  .strict();

// Deadlines of child processes (docs/security.md "Child processes"). An ffmpeg run may take
// ffmpeg_timeout_seconds plus ffmpeg_timeout_per_video_second for each second of video it renders,
// cuts or joins; then its process group gets SIGTERM, SIGKILL after worker.cancel_grace_seconds, and
// the attempt fails saying so. Local model runs have their own (local_backends.timeout_seconds).
export const mediaSchema = z
  .object({
    // Every ffprobe run: clips, and first-frame images at submission.
    probe_timeout_seconds: positiveSeconds.max(600).default(15),
    ffmpeg_timeout_seconds: positiveSeconds.max(86400).default(120),
    ffmpeg_timeout_per_video_second: z.number().min(0).max(3600).default(10),
  })
  .strict();

export const retentionSchema = z
  .object({
    // Terminal jobs (finished, failed, canceled) with their logs, events and idempotency keys are
    // deleted this many days after they ended; 0 keeps them forever.
    jobs_days: z.number().min(0).default(30),
    // Files of the local artifact store older than this are deleted; 0 keeps them (while their job lives).
    artifacts_days: z.number().min(0).default(30),
    // GCS/S3: a pruned job's object is left to the bucket's lifecycle rule unless this is true.
    delete_remote_artifacts: z.boolean().default(false),
    // How often the API process sweeps (and once at start); 0 = only `ttv prune`.
    sweep_interval_minutes: z.number().min(0).default(60),
  })
  .strict();

export const edgeSchema = z
  .object({
    // Name the edge serves (certificate and site address).
    host: z.string().min(1).default('localhost'),
    // Certificate for the edge; without one Caddy issues a local one (its own CA, not trusted system-wide).
    cert_path: z.string().nullable().default(null),
    key_path: z.string().nullable().default(null),
    caddy_path: z.string().min(1).default('caddy'),
    // Where the API is reached from the edge; defaults to http(s)://127.0.0.1:<server.port>.
    upstream: z.string().url().nullable().default(null),
    // Several API processes (same Redis): the edge balances over them round-robin and takes one out
    // of rotation while its /healthz fails. Replaces `upstream`.
    upstreams: z.array(z.string().url()).default([]),
    health_interval_seconds: positiveSeconds.default(2),
    // Plain-HTTP port the edge answers with a permanent redirect to HTTPS. null: 80 when the edge owns
    // the HTTPS port (server.quic_port 443), otherwise none; 0: never.
    http_port: z.number().int().min(0).max(65535).nullable().default(null),
  })
  .strict()
  .superRefine((edge, ctx) => {
    if (edge.upstream && edge.upstreams.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['upstreams'],
        message: 'cannot be combined with edge.upstream: list every API process in edge.upstreams',
      });
    }
  });

export const WEBHOOK_EVENTS = ['job.started', 'job.progress', 'job.finished', 'job.failed', 'job.canceled'] as const;

const webhookEndpointSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:/.test(u), 'must be an http(s) URL'),
    // Standard Webhooks key: "whsec_<base64>" or any string of at least 16 characters.
    secret: z.string().min(16, 'must be at least 16 characters').optional(),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
  })
  .strict();

export const webhooksSchema = z
  .object({
    endpoints: z.array(webhookEndpointSchema).default([]),
    /** Shorthand: URLs that get every event with the shared secret. */
    urls: z.array(z.string().url()).default([]),
    secret: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .default([...WEBHOOK_EVENTS]),
    max_attempts: z.number().int().min(1).max(20).default(6),
    retry_base_seconds: z.number().positive().max(3600).default(2),
    // One attempt's deadline, from connect to the end of the answer (a tarpit holds only its own lane).
    timeout_seconds: z.number().positive().max(120).default(10),
    // Attempts in flight to one endpoint host at a time, and to all hosts together (shared in turn).
    host_concurrency: z.number().int().min(1).max(64).default(2),
    max_in_flight: z.number().int().min(1).max(1024).default(64),
    // Deliveries waiting for one endpoint host, at most; past that, its new events are given up at once.
    host_backlog: z.number().int().min(1).max(20000).default(1000),
    // At most one job.progress per job per interval (milestones in between are skipped).
    progress_interval_seconds: z.number().min(0).max(3600).default(5),
    // One API process at a time delivers (it holds a lease in the job store); when it dies, another
    // one (or its restart) takes over at most this long after its last renewal.
    lease_seconds: z.number().min(1).max(300).default(10),
    // Per-job webhooks (the `webhook` job option) may target loopback, private and link-local hosts.
    allow_private_urls: z.boolean().default(false),
    // Master key of the per-job webhook secrets (HMAC of the job id); generated into
    // <data_dir>/webhook.key (mode 0600) when unset. Set it when API and workers run on several hosts.
    job_signing_secret: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
  })
  .strict();

export const openaiCompatSchema = z
  .object({
    // OpenAI `model` names accepted by POST /v1/videos → the ttv backend that renders them.
    models: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict();

export const loggingSchema = z
  .object({
    // The Python api_config.yaml writes Python's level names (INFO, WARNING, CRITICAL): mapped to pino's.
    level: z
      .preprocess(
        (v) =>
          typeof v === 'string'
            ? (({ warning: 'warn', critical: 'fatal' } as Record<string, string>)[v.toLowerCase()] ?? v.toLowerCase())
            : v,
        z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      )
      .default('info'),
    // Python's log format string; ttv always logs JSON (warned as accepted-and-ignored).
    format: z.string().optional(),
  })
  .strict();

export const proceduralSchema = z
  .object({
    width: z.number().int().min(16).max(3840).multipleOf(2, 'must be even').default(640),
    height: z.number().int().min(16).max(2160).multipleOf(2, 'must be even').default(360),
    fps: z.number().int().min(1).max(60).default(24),
    // storyboard: a readable card per clip (prompt text, segment number and time range, palette and
    // motion from the prompt's words, a silent AAC track); gradient: the soft two-colour look of before.
    style: z.enum(['storyboard', 'gradient']).default('storyboard'),
    // gradient style only: draw the segment prompt onto the clip (needs a font; off by default).
    text_overlay: z.boolean().default(false),
    // Makes the offline generator take this long per clip, to behave like a remote backend in demos.
    simulated_latency_seconds: z.number().min(0).max(600).default(0),
    max_segments: z.number().int().min(1).max(50).default(6),
    // Mixed into the look of every clip: the same prompt and seed render the same frames.
    seed: z.number().int().min(0).max(4294967295).nullable().default(null),
  })
  .strict();

/** A section a file may leave out: then it has its defaults, those parsing {} gives. */
function section<S extends z.ZodType>(schema: S) {
  return schema.default(schema.parse({}) as z.util.NoUndefined<z.output<S>>);
}

// Video backend sections. Known keys are typed; unknown ones are kept (.passthrough) so Python
// ttv-pipeline files with keys ttv ignores (motion_amount, …) still load.
const url = z.string().url('must be a URL');
const seconds = z.number().positive('must be positive');

/** A hosted backend's section: its API key and endpoint, then its own keys. */
function hostedSection<S extends z.ZodRawShape>(baseUrl: string, shape: S) {
  return z.object({ api_key: z.string().min(1).optional(), base_url: url.default(baseUrl), ...shape }).passthrough();
}

export const runwaySchema = hostedSection('https://api.dev.runwayml.com', {
  api_version: z.string().min(1).default('2024-11-06'),
  // The Python factory defaulted to "gen-3-alpha", which the API rejects.
  model_version: z.string().min(1).default('gen4_turbo'),
  max_duration: seconds.max(60).default(10),
  default_ratio: z
    .string()
    .regex(/^\d{3,4}:\d{3,4}$/, 'must look like 1280:720')
    .default('1280:720'),
  seed: z.number().int().min(0).max(4294967295).nullable().optional(),
});

/** Google's current video model on Vertex AI (a service account): Veo 3.1, GA. */
export const DEFAULT_VERTEX_VIDEO_MODEL = 'veo-3.1-generate-001';
/** …and on the Gemini API (an API key), which shut its Veo models down for Gemini Omni. */
export const DEFAULT_GEMINI_VIDEO_MODEL = 'gemini-omni-1.1-flash';

/** google_veo.veo_model when the file leaves it out: the current model of the API the section selects. */
function withDefaultGoogleVideoModel(section: unknown): unknown {
  if (typeof section !== 'object' || section === null || Array.isArray(section)) return section;
  const s = section as Record<string, unknown>;
  if (s.veo_model !== undefined) return section;
  return { ...s, veo_model: s.api_key ? DEFAULT_GEMINI_VIDEO_MODEL : DEFAULT_VERTEX_VIDEO_MODEL };
}

// Google video (Veo and Gemini Omni, docs/google-video.md): the model's catalog row names the API
// it is served by and its protocol (predictLongRunning or the Interactions API).
export const googleVeoSchema = z.preprocess(
  withDefaultGoogleVideoModel,
  z
    .object({
      // Vertex AI (service account) unless api_key is set, which selects the Gemini API.
      project_id: z.string().min(1).optional(),
      credentials_path: z.string().min(1).default('credentials.json'),
      region: z.string().min(1).default('us-central1'),
      veo_model: z.string().min(1),
      api_endpoint: url.optional(),
      output_bucket: z.string().min(1).optional(),
      storage_endpoint: url.default('https://storage.googleapis.com'),
      api_key: z.string().min(1).optional(),
      gemini_base_url: url.default('https://generativelanguage.googleapis.com'),
      // The operator's own cap on clip length; unset, the model's catalog row is the only limit.
      max_duration: seconds.max(60).optional(),
      generate_audio: z.boolean().optional(),
      // Output resolution ("720p", "1080p", …), one of the model's catalog row; unset: the model's default.
      resolution: z.string().min(1).optional(),
    })
    .passthrough(),
);

export const minimaxSchema = hostedSection('https://api.minimax.io/v1', {
  model: z.string().min(1).default('I2V-01-Director'),
  max_duration: seconds.max(60).default(6),
  resolution: z.string().optional(),
});

export const falSchema = hostedSection('https://queue.fal.run', {
  model: z.string().min(1).default('fal-ai/minimax/hailuo-02/standard/image-to-video'),
  max_duration: seconds.max(60).default(10),
  default_input: z.record(z.string(), z.unknown()).default({}),
  // Accepted for old files and ignored: each endpoint's capability row types `duration` now.
  duration_as_string: z.boolean().optional(),
  // USD per second of video, for estimated_cost_usd; 0 = the endpoint's list price from its row.
  cost_per_second: z.number().min(0).default(0),
});

export const hunyuanSchema = z
  .object({
    hunyuan_dir: z.string().min(1).default('./HunyuanVideo'),
    config_file: z.string().min(1).optional(),
    ckpt_path: z.string().min(1).optional(),
    max_duration: seconds.max(60).default(5),
    sample_steps: z.number().int().min(1).max(1000).default(50),
    seed: z.number().int().nullable().optional(),
  })
  .passthrough();

export const remoteApiSettingsSchema = z
  .object({
    max_retries: z.number().int().min(0).max(10).default(3),
    // Base of the exponential backoff between retries (jittered, capped at 60 s).
    retry_base_seconds: seconds.max(60).default(1),
    polling_interval: seconds.max(600).default(10),
    // Vendors' polling floors (Runway: 5 s) raise a lower polling_interval; true lifts them, for a
    // base_url that is not the vendor itself (a local mock or a recording proxy).
    polling_interval_floor_override: z.boolean().default(false),
    timeout: seconds.max(86400).default(600),
    fallback_backend: z.string().min(1).nullable().optional(),
    api_priority_order: z.array(z.string().min(1)).default([]),
    // Largest clip a backend may hand back; a bigger or truncated download fails the attempt.
    max_download_bytes: z
      .number()
      .int()
      .positive()
      .default(2 * 1024 * 1024 * 1024),
  })
  .passthrough();

// Wan2.1 (local), with the Python keys' names and defaults; the Python files set them at the root
// (accepted as aliases, see python-aliases.ts).
export const wan21Schema = z
  .object({
    wan2_dir: z.string().min(1).default('./Wan2.1'),
    i2v_model_dir: z.string().min(1).optional(),
    flf2v_model_dir: z.string().min(1).optional(),
    size: z
      .string()
      .regex(/^\d{2,5}[*x]\d{2,5}$/, 'must look like 1280*720')
      .default('1280*720'),
    // GPUs per segment; unset: an even share of total_gpus among parallel_segments.
    gpu_count: z.number().int().min(1).max(64).optional(),
    frame_num: z.number().int().min(1).max(1000).default(81),
    sample_steps: z.number().int().min(1).max(1000).default(40),
    sample_shift: z.number().positive().default(5),
    guide_scale: z.number().positive().default(5),
    chaining_max_retries: z.number().int().min(1).max(10).default(3),
    chaining_use_fsdp_flags: z.boolean().default(true),
  })
  .strict();

// Local model processes (Wan2.1, HunyuanVideo): interpreter, launcher and their time limits.
export const localBackendsSchema = z
  .object({
    python_path: z.string().min(1).default('python3'),
    torchrun_path: z.string().min(1).default('torchrun'),
    timeout_seconds: seconds.max(86400).default(3600),
    kill_grace_seconds: seconds.max(600).default(5),
    // A clip smaller than this is treated as a failed run.
    min_output_bytes: z.number().int().min(1).default(10_000),
  })
  .strict();

export const pipelineSchema = z.object({
  prompt: z.string().optional(),
  default_backend: z.string().default('procedural'),
  generation_mode: z.enum(['keyframe', 'chaining']).default('chaining'),
  segment_duration_seconds: z.number().positive('must be positive').max(60).default(5),
  image_generation_model: z.string().default('procedural'),
  prompt_enhancement_model: z.string().default('procedural'),
  initial_image: z.string().optional(),
  parallel_segments: z.number().int().min(1).default(1),
  single_keyframe_mode: z.boolean().optional(),
  openai_api_key: z.string().optional(),
  openai_base_url: z.string().url().default('https://api.openai.com/v1'),
  gemini_base_url: z.string().url().default('https://generativelanguage.googleapis.com'),
  stability_base_url: z.string().url().default('https://api.stability.ai'),
  stability_engine: z.string().default('stable-diffusion-xl-1024-v1-0'),
  gemini_api_key: z.string().optional(),
  stability_api_key: z.string().optional(),
  image_router_api_key: z.string().optional(),
  // OpenAI images: a fixed size instead of the one nearest the job's aspect that the model renders.
  image_size: z
    .string()
    .regex(/^\d{2,5}x\d{2,5}$/, 'must look like 1024x1024')
    .optional(),
  video_aspect_ratio: z
    .string()
    .regex(/^\d{1,2}:\d{1,2}$/, 'must look like 16:9')
    .optional(),
  runway_ml: section(runwaySchema),
  google_veo: section(googleVeoSchema),
  minimax: section(minimaxSchema),
  fal: section(falSchema),
  hunyuan_video: section(hunyuanSchema),
  wan2_1: section(wan21Schema),
  remote_api_settings: section(remoteApiSettingsSchema),
  // Refuses a job whose estimated video cost (USD) is higher, before any paid video call.
  max_cost_per_video: z.number().positive().nullable().default(null),
  // GPUs of this machine, shared by the local backends (Wan2.1, HunyuanVideo).
  total_gpus: z.number().int().min(1).max(64).default(1),
  local_backends: section(localBackendsSchema),
  procedural: section(proceduralSchema),
});

// Keys of the Python pipeline_config.yaml that ttv accepts but does not use (yet): kept so old files load.
export const ACCEPTED_LEGACY_KEYS = [
  'task',
  'framepack_dir',
  'reference_images_dir',
  'auto_generate_initial',
  'keyframe_position',
  'base_seed',
  'output_dir',
  'default_video_generation_backend',
  'i2i_mode',
  'keyframe_prompt_model',
  'image_router_token',
  'gcs_bucket',
  'gcs_prefix',
  'credentials_path',
  'signed_url_expiration',
  // api_config.yaml sections the Python server shipped but never read.
  'api',
  'cors',
] as const;

const operatorModelsSchema = z
  .array(catalogRowSchema)
  .default([])
  .superRefine((rows, ctx) => {
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      const key = `${row.backend} ${row.id}`;
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'id'],
          message: `a second row for ${row.backend} model "${row.id}" (one row per backend and id)`,
        });
      seen.add(key);
    });
  });

/** The config's shape, before the Python aliases are folded in (its keys name the sections). */
export const configObjectSchema = pipelineSchema
  .extend({
    data_dir: z.string().min(1).default('./.ttv'),
    ffmpeg_path: z.string().min(1).default('ffmpeg'),
    ffprobe_path: z.string().min(1).default('ffprobe'),
    server: section(serverSchema),
    security: section(securitySchema),
    redis: redisSchema.optional(),
    postgres: postgresSchema.optional(),
    gcs: gcsSchema.optional(),
    storage: section(storageSchema),
    worker: section(workerSchema),
    logging: section(loggingSchema),
    webhooks: section(webhooksSchema),
    edge: section(edgeSchema),
    openai_compat: section(openaiCompatSchema),
    retention: section(retentionSchema),
    // Operator rows of the model catalog (docs/models.md): a model ttv does not ship a row for, or a
    // shipped row corrected (same backend and id). Validated like the shipped files.
    models: operatorModelsSchema,
    media: section(mediaSchema),
  })
  .passthrough()
  .superRefine((config, ctx) => {
    // One shared store: the jobs, keys and counters of one service cannot be split across two.
    if (config.redis && config.postgres)
      ctx.addIssue({
        code: 'custom',
        path: ['postgres'],
        message: 'cannot be combined with redis: give one shared store (redis or postgres), or neither for SQLite',
      });
  });

/** The effective config from a raw one (files, env and flags merged): Python keys folded into their ttv keys, then validated. */
export const configSchema = z.preprocess(foldPythonAliases, configObjectSchema);

export type AppConfig = z.infer<typeof configSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export type PostgresConfig = z.infer<typeof postgresSchema>;
export type StorageConfig = z.infer<typeof storageSchema>;
export type ProceduralConfig = z.infer<typeof proceduralSchema>;
export type EdgeConfig = z.infer<typeof edgeSchema>;
export type WebhooksConfig = z.infer<typeof webhooksSchema>;
export type RetentionConfig = z.infer<typeof retentionSchema>;
export type MediaConfig = z.infer<typeof mediaSchema>;
export type PipelineConfig = z.infer<typeof pipelineSchema>;
