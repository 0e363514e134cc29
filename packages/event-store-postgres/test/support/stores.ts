import { randomBytes } from 'node:crypto'
import { EventStore } from '@quire/event-store'
import pg from 'pg'
import { inject } from 'vitest'
import { postgresBackend, type PostgresBackend, type PostgresBackendOptions } from '../../src/index.js'

/** The URL of the test run's database (test/global-setup.ts). */
export const pgUrl = (): string => inject('pgUrl')

/** A fresh schema name, so test files and tests never see each other's events. */
export const freshSchema = (label: string): string => `t_${label}_${randomBytes(4).toString('hex')}`

/** A backend on a fresh (or the given) schema of the test database, migrating on open. */
export function testBackend(schema: string, options: Partial<PostgresBackendOptions> = {}): PostgresBackend {
  return postgresBackend({ connectionString: pgUrl(), schema, migrate: true, pollIntervalMs: 50, ...options })
}

export async function openStore(schema: string, options: Partial<PostgresBackendOptions> = {}): Promise<EventStore> {
  return EventStore.open({ backend: testBackend(schema, options) })
}

/** A plain client for looking at the tables directly. */
export async function sqlClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: pgUrl() })
  await client.connect()
  return client
}
