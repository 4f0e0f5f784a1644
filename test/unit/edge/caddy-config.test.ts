// Which plain-HTTP redirect the edge's Caddyfile carries (the redirect itself is exercised through
// Caddy in test/e2e/edge.test.ts).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { caddyfile, edgeRedirectPort } from '../../../src/edge/caddy-config.js';

const config = (server: Record<string, unknown>, edge: Record<string, unknown> = {}) =>
  configSchema.parse({ data_dir: '/srv/ttv', server: { port: 8000, ...server }, edge });

describe('edge redirect from plain HTTP', () => {
  it('is on port 80 when the edge owns the HTTPS port, with no port in Location', () => {
    const owning = config({ quic_port: 443 }, { host: 'video.example.com' });
    expect(edgeRedirectPort(owning)).toBe(80);
    expect(caddyfile(owning)).toContain('http://:80 {\n\tredir https://video.example.com{uri} 308\n}');
  });

  it('is off on another HTTPS port unless edge.http_port names one, and off for 0', () => {
    expect(edgeRedirectPort(config({ quic_port: 8443 }))).toBeNull();
    expect(caddyfile(config({ quic_port: 8443 }))).not.toContain('http://:');
    expect(caddyfile(config({ quic_port: 8443 }, { http_port: 8080 }))).toContain(
      'http://:8080 {\n\tredir https://localhost:8443{uri} 308',
    );
    expect(edgeRedirectPort(config({ quic_port: 443 }, { http_port: 0 }))).toBeNull();
  });

  it('refuses a redirect port that is the HTTPS or the API port', () => {
    expect(() => caddyfile(config({ quic_port: 8443 }, { http_port: 8443 }))).toThrow(/edge\.http_port/);
    expect(() => caddyfile(config({ quic_port: 8443 }, { http_port: 8000 }))).toThrow(/edge\.http_port/);
  });

  it("keeps Caddy's storage in the data dir", () => {
    expect(caddyfile(config({ quic_port: 8443 }))).toContain('storage file_system "/srv/ttv/caddy"');
  });
});
