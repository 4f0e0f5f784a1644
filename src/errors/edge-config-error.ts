import { TtvError } from './ttv-error.js';

/** A setting the HTTP/3 edge cannot run with (server.quic_port, edge.*): names the key and what to do. */
export class EdgeConfigError extends TtvError {
  override readonly name = 'EdgeConfigError';
  constructor(message: string) {
    super(message, { code: 'EdgeConfigError' });
  }
}
