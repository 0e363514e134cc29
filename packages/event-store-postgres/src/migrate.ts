import pg from 'pg'
import { InvalidArgumentError } from '@quire/event-store'
import { SchemaVersionError } from './errors.js'
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js'
import { appendFunction } from './sql/append-function.js'
import { commandFunction } from './sql/command-function.js'
import { readFunctions } from './sql/read-functions.js'
import { schemaV1 } from './sql/schema-v1.js'

/** The schema version this package works with. */
export const SCHEMA_VERSION = 1

interface Migration {
  readonly version: number
  /** `s`: the quoted schema; `lockPrefix`: the SQL literal every stream lock key starts with. */
  sql(s: string, lockPrefix: string): string
}

/** Every step from an empty schema to {@link SCHEMA_VERSION}, in order; never edited once released. */
const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: (s, lockPrefix) => schemaV1(s) + appendFunction(s, lockPrefix) + commandFunction(s, lockPrefix) + readFunctions(s) },
]

/** Where to connect: a connection string, or a pool the application owns (not ended here). */
export interface ConnectionOptions {
  /** A `postgres://` URL. Ignored when `pool` is given. */
  readonly connectionString?: string
  /** A `pg` Pool the application owns; this package never ends it. */
  readonly pool?: pg.Pool
  /** Schema holding the store's tables and functions. Default `'quire'`. Lowercase identifier, 1..48 characters. */
  readonly schema?: string
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The schema's version before (`undefined`: it had none). */
  readonly from: number | undefined
  /** Its version now ({@link SCHEMA_VERSION}). */
  readonly to: number
}

/** The SQL literal every stream's advisory-lock key text starts with: `'<schema>/'`. */
export const lockPrefixOf = (schema: string): string => `'${schema}/'`

/**
 * Creates or upgrades the store's schema (tables, indexes, functions) to {@link SCHEMA_VERSION}.
 * Idempotent; one transaction; safe when several processes run it at once: each takes a
 * transaction-level advisory lock on the schema's name first, so they run one after the other
 * and the later ones find nothing to do. The role needs `CREATE` on the database (or an existing
 * schema it owns). Versions are recorded in `<schema>.schema_version`.
 *
 * @throws {@link SchemaVersionError} (code `UNSUPPORTED_VERSION`) when the database's schema is
 * newer than this package; `InvalidArgumentError` for a bad schema name or no connection.
 */
export async function migrate(options: ConnectionOptions): Promise<MigrateResult> {
  const schema = options.schema ?? DEFAULT_SCHEMA
  const s = quoteSchema(schema)
  return withClient(options, async (client) => {
    await client.query('BEGIN')
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`quire-migrate/${schema}`])
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      const from = await currentVersion(client, s)
      if (from !== undefined && from > SCHEMA_VERSION) throw new SchemaVersionError(schema, from, SCHEMA_VERSION)
      for (const m of MIGRATIONS) {
        if (from !== undefined && m.version <= from) continue
        await client.query(m.sql(s, lockPrefixOf(schema)))
        await client.query(`INSERT INTO ${s}.schema_version (version) VALUES ($1)`, [m.version])
      }
      await client.query('COMMIT')
      return { from, to: SCHEMA_VERSION }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  })
}

/**
 * Checks that the schema is at {@link SCHEMA_VERSION} (what `open` does without `migrate`).
 *
 * @throws {@link SchemaVersionError}
 */
export async function checkSchemaVersion(client: pg.ClientBase | pg.Pool, schema: string): Promise<void> {
  const s = quoteSchema(schema)
  let found: number | undefined
  try {
    found = await currentVersion(client, s)
  } catch (error) {
    // 42P01 undefined_table, 3F000 invalid_schema_name: never migrated.
    const code = (error as { code?: unknown }).code
    if (code === '42P01' || code === '3F000') throw new SchemaVersionError(schema, undefined, SCHEMA_VERSION)
    throw error
  }
  if (found !== SCHEMA_VERSION) throw new SchemaVersionError(schema, found, SCHEMA_VERSION)
}

async function currentVersion(client: pg.ClientBase | pg.Pool, s: string): Promise<number | undefined> {
  const result = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${s}.schema_version`)
  return result.rows[0]?.v ?? undefined
}

async function withClient<T>(options: ConnectionOptions, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (options.pool !== undefined) {
    const client = await options.pool.connect()
    try {
      return await fn(client)
    } finally {
      client.release()
    }
  }
  if (options.connectionString === undefined) throw new InvalidArgumentError('migrate: give connectionString or pool')
  const client = new pg.Client({ connectionString: options.connectionString })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
