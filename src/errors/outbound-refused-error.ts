import { TtvError } from './ttv-error.js';

/**
 * A public-only outbound client would have to reach an address that is not public. Clients read
 * only "refused"; `detail` (which names the address) is for operator logs.
 */
export class OutboundRefusedError extends TtvError {
  constructor(readonly detail: string) {
    super(`refused: ${detail}`, { code: 'OutboundRefusedError', publicMessage: 'refused' });
    this.name = 'OutboundRefusedError';
  }
}
