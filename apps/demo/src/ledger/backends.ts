import { join } from 'node:path'
import { ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '@quire/event-store'
import type { FileSystem } from '@quire/vfs'

/** The event store's backends the ledger runs on (`--backend`). */
export const BACKENDS = ['wal', 'ndjson', 'record-keeper', 'postgres'] as const
export type BackendName = (typeof BACKENDS)[number]

/** Where the PostgreSQL backend connects (`--backend postgres`). */
export interface PostgresTarget {
  readonly connectionString: string
  /** Schema of the store's tables (one per demo run keeps runs apart). */
  readonly schema: string
}

/**
 * The event-store backend `name` for a ledger whose data live under `dir`: the events in
 * `dir/events` (a WAL directory, an NDJSON file, a record-keeper directory) or in PostgreSQL.
 * Nothing else of the ledger depends on the choice.
 */
export async function eventStoreBackend(
  name: BackendName,
  dir: string,
  fs: FileSystem | undefined,
  postgres: PostgresTarget | undefined,
): Promise<EventStoreBackend> {
  const options = fs === undefined ? {} : { fs }
  switch (name) {
    case 'wal':
      return walBackend(join(dir, 'events'), options)
    case 'ndjson':
      return ndjsonBackend(join(dir, 'events', 'events.ndjson'), options)
    case 'record-keeper':
      return recordKeeperBackend(join(dir, 'events'), options)
    case 'postgres': {
      if (postgres === undefined) throw new Error('the postgres backend needs a connection string')
      const { postgresBackend } = await import('@quire/event-store-postgres')
      return postgresBackend({ connectionString: postgres.connectionString, schema: postgres.schema, migrate: true })
    }
  }
}
