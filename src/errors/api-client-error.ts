import { TtvError } from './ttv-error.js';

/** A call of the CLI's API client that failed: the server's status and `error` code (status 0, ConnectionError: no answer). */
export class ApiClientError extends TtvError {
  override readonly name = 'ApiClientError';
  constructor(
    readonly status: number,
    readonly serverCode: string,
    message: string,
  ) {
    super(message, { code: 'ApiClientError' });
  }
}
