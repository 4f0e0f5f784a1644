// The Caddyfile for the HTTP/3 edge: TLS 1.3 only, HTTP/1.1 + HTTP/2 + HTTP/3 on server.quic_port
// (TCP and UDP), reverse proxy to the API with the client's protocol forwarded. Node has no HTTP/3
// server, so QUIC is terminated here.
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { EdgeConfigError } from '../errors/edge-config-error.js';

/** Where the edge sends requests: edge.upstreams, else edge.upstream, else the API's own port on loopback. */
export function edgeUpstreams(config: AppConfig): string[] {
  if (config.edge.upstreams.length > 0) return config.edge.upstreams;
  if (config.edge.upstream) return [config.edge.upstream];
  const scheme = config.server.tls.cert_path ? 'https' : 'http';
  return [`${scheme}://127.0.0.1:${config.server.port}`];
}

/** The upstreams as one line, for the operator. */
export function edgeUpstream(config: AppConfig): string {
  return edgeUpstreams(config).join(', ');
}

/** The plain-HTTP port that redirects to HTTPS, or null for none (edge.http_port). */
export function edgeRedirectPort(config: AppConfig): number | null {
  const configured = config.edge.http_port;
  if (configured === 0) return null;
  if (configured !== null) return configured;
  return config.server.quic_port === 443 ? 80 : null;
}

/** Where Caddy keeps its state (certificates, autosave, the local CA): in the data dir, never in $HOME. */
export function caddyStateDir(config: AppConfig): string {
  return join(resolve(config.data_dir), 'caddy');
}

/** Caddyfile quoting: values go in double quotes with backslashes and quotes escaped. */
function q(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** With several API processes: round-robin, health-checked on /healthz, a failed dial retried on another. */
function balancing(count: number, intervalSeconds: number): string {
  if (count < 2) return '';
  return `
\t\tlb_policy round_robin
\t\tlb_try_duration 5s
\t\thealth_uri /healthz
\t\thealth_interval ${intervalSeconds}s
\t\thealth_timeout 2s
\t\tfail_duration 10s`;
}

export function caddyfile(config: AppConfig): string {
  const port = config.server.quic_port;
  if (!port)
    throw new EdgeConfigError('server.quic_port: must be set to run the edge (the HTTPS/QUIC port clients connect to)');
  if (config.server.port === port) throw new EdgeConfigError('server.quic_port: must differ from server.port');
  const { host, cert_path: cert, key_path: key } = config.edge;
  if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new EdgeConfigError('edge.host: must be a host name or address');
  if (!!cert !== !!key) throw new EdgeConfigError('edge.cert_path and edge.key_path must be set together');
  const upstreams = edgeUpstreams(config);
  const schemes = new Set(upstreams.map((u) => new URL(u).protocol));
  if (schemes.size > 1) throw new EdgeConfigError('edge.upstreams: must all use the same scheme (http or https)');
  // The same value the API sends on HTTPS (security-headers.ts).
  const altSvc = `h3=":${port}"; ma=${config.server.alt_svc_max_age}`;
  const storage = caddyStateDir(config);
  const redirectPort = edgeRedirectPort(config);
  if (redirectPort !== null && (redirectPort === port || redirectPort === config.server.port)) {
    throw new EdgeConfigError('edge.http_port: must differ from server.quic_port and server.port');
  }
  // Our own redirect site, not Caddy's automatic one: Caddy 2.6 leaves the port out of Location when
  // the site is on https_port, which is wrong for any port but 443. It names edge.host, not the
  // client's Host, so that the redirect cannot be pointed elsewhere.
  const httpsOrigin = `https://${host}${port === 443 ? '' : `:${port}`}`;
  const redirectSite =
    redirectPort === null
      ? ''
      : `
# Plain HTTP: a permanent redirect (308 keeps the method and body) to the same path and query over HTTPS.
http://:${redirectPort} {
\tredir ${httpsOrigin}{uri} 308
}
`;
  const tls =
    cert && key
      ? `tls ${q(resolve(cert))} ${q(resolve(key))} {\n\t\tprotocols tls1.3\n\t}`
      : 'tls internal {\n\t\tprotocols tls1.3\n\t}';
  const upstreamTls = schemes.has('https:')
    ? '\n\t\ttransport http {\n\t\t\ttls\n\t\t\ttls_insecure_skip_verify\n\t\t}' // loopback hop to the API's own certificate
    : '';
  return `# Written by \`ttv edge\`. Clients speak HTTP/3, HTTP/2 or HTTP/1.1 with TLS 1.3 to this edge.
{
\tadmin off
\tauto_https disable_redirects
\tskip_install_trust
\tstorage file_system ${q(storage)}
\thttp_port ${redirectPort ?? 80}
\thttps_port ${port}
\tservers {
\t\tprotocols h1 h2 h3
\t}
}

https://${host}:${port} {
\t${tls}
\t# Caddy advertises its own h3 with ma=2592000 and (2.6) drops the API's. Clients must see the API's
\t# value (server.alt_svc_max_age): taken from the upstream answer, then the only one, set when the
\t# head is written (either alone was not enough on Caddy 2.6.2).
\theader {
\t\tAlt-Svc ${q(altSvc)}
\t\tdefer
\t}
\treverse_proxy ${upstreams.join(' ')} {${balancing(upstreams.length, config.edge.health_interval_seconds)}
\t\theader_up X-Forwarded-Proto https
\t\theader_up X-Client-Protocol {http.request.proto}
\t\theader_down Alt-Svc ${q(altSvc)}${upstreamTls}
\t}
}
${redirectSite}`;
}
