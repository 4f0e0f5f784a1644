import { TtvError } from './ttv-error.js';

/**
 * A model catalog file shipped with ttv (src/catalog/vendors/*.json) that does not parse: a
 * packaging bug, never an operator's mistake, so it names the file and field and no key to fix.
 * Clients never see its text (it names paths of the installation).
 */
export class CatalogFileError extends TtvError {
  override readonly name = 'CatalogFileError';
  constructor(message: string) {
    super(message, { code: 'CatalogFileError', publicMessage: null });
  }
}
