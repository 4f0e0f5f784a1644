// Which per-job options a principal may send: the key's own list in server.job_options_by_key (by
// key id or name) when it has one, else server.job_options. Empty = prompt only (the v1 contract).
import type { JobOptionName, ServerConfig } from '../config/schema.js';
import type { Principal } from '../access/principal.js';

export function allowedJobOptions(server: ServerConfig, principal: Principal): ReadonlySet<JobOptionName> {
  const own = server.job_options_by_key[principal.keyId] ?? server.job_options_by_key[principal.name];
  return new Set(own ?? server.job_options);
}

/** True when some principal may send `name` (routes and dispatchers that need set-up only then). */
export function anyoneMay(server: ServerConfig, name: JobOptionName): boolean {
  return (
    server.job_options.includes(name) || Object.values(server.job_options_by_key).some((list) => list.includes(name))
  );
}
