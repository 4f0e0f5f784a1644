// Every table ttv keeps in PostgreSQL, as numbered migrations (postgres-migrations.ts applies the
// missing ones at startup). A released migration is never edited: a change is a new version.
// Tables are created unqualified; the runner sets the search path to postgres.schema.

export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [];
