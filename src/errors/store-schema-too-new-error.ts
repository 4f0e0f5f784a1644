import { TtvError } from './ttv-error.js';

/** The shared store was migrated by a newer ttv: this one must not write tables it does not understand. */
export class StoreSchemaTooNewError extends TtvError {
  override readonly name = 'StoreSchemaTooNewError';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the PostgreSQL schema is at version ${found}, newer than this ttv knows (${known}): upgrade ttv, or point it at another schema (postgres.schema)`,
      { code: 'StoreSchemaTooNew' },
    );
  }
}
