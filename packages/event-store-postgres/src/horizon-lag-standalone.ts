import { InvalidArgumentError } from '@quire/event-store'
import pg from 'pg'
import { queryHorizonLag, type HorizonLag } from './horizon-lag.js'
import type { ConnectionOptions } from './migrate.js'
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js'

/**
 * {@link HorizonLag} for a monitoring job that does not open the store: one statement on the
 * given pool, or on a short-lived connection.
 */
export async function horizonLag(options: ConnectionOptions): Promise<HorizonLag> {
  const s = quoteSchema(options.schema ?? DEFAULT_SCHEMA)
  if (options.pool !== undefined) return queryHorizonLag(options.pool, s)
  if (options.connectionString === undefined) throw new InvalidArgumentError('horizonLag: give connectionString or pool')
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 1 })
  try {
    return await queryHorizonLag(pool, s)
  } finally {
    await pool.end()
  }
}
