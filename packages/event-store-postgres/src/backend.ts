import { integerOption } from '@quire/durable'
import { ClosedError, InvalidArgumentError, type EventStoreBackend } from '@quire/event-store'
import pg from 'pg'
import { AppendWakeups } from './append-wakeups.js'
import type { HorizonLag } from './horizon-lag.js'
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_POOL_SIZE, MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS } from './limits.js'
import { checkSchemaVersion, migrate, type ConnectionOptions } from './migrate.js'
import { PostgresDriver } from './postgres-driver.js'
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js'

/** Options of {@link postgresBackend}. */
export interface PostgresBackendOptions extends ConnectionOptions {
  /**
   * Create or upgrade the schema on open ({@link migrate}). Default `false`: open checks that the
   * schema is at the version this package needs and fails with `UNSUPPORTED_VERSION` otherwise.
   */
  readonly migrate?: boolean
  /** Size of the pool created from `connectionString` (1..1000). Default 10. Ignored with `pool`. */
  readonly poolSize?: number
  /** A waiting reader re-reads at least this often, notification or not (ms, 10..60 000). Default 200. */
  readonly pollIntervalMs?: number
  /**
   * The connection `LISTEN` runs on. It must be a direct session (or PgBouncer in session mode):
   * under transaction pooling a `LISTEN` is lost with its server connection. Default: a client
   * built from `connectionString` or the pool's settings. `false`: no LISTEN, readers poll only.
   */
  readonly listen?: false | { readonly connectionString: string }
  /** `application_name` of the connections this package opens. Default `'quire-event-store'`. */
  readonly applicationName?: string
  /**
   * Resolve this process's appends in position order (default `true`). Inline projections need
   * it: they are fed each append's events as it resolves, in that order. The price under load is
   * about one commit latency per append (an append that answered waits for the appends of this
   * process still in flight that may come before it). `false`: each append resolves as soon as it
   * committed; only for stores that run no inline projection (async projections and
   * subscriptions read the log and do not need it).
   */
  readonly orderedCommits?: boolean
}

/** The backend: `EventStore.open({ backend: postgresBackend(...) })`. */
export interface PostgresBackend extends EventStoreBackend {
  /**
   * How far `$all` readers are held back by open transactions, for the driver opened last.
   *
   * @throws `ClosedError` when no driver of this backend is open.
   */
  horizonLag(): Promise<HorizonLag>
}

/**
 * The Quire event store on PostgreSQL (13 or later): `EventStore.open({ backend:
 * postgresBackend({ connectionString }) })`. Several processes on several machines may open the
 * same schema and write and subscribe at once. See the README for the ordering design, the
 * schema, permissions and pooling caveats.
 *
 * @throws `InvalidArgumentError` (code `INVALID_ARGUMENT`) at once for a bad schema name or
 * option. `open()` rejects with `SchemaVersionError` (code `UNSUPPORTED_VERSION`) when the
 * schema is not migrated (and `migrate` is not set), or with `pg`'s error when the server cannot
 * be reached.
 */
export function postgresBackend(options: PostgresBackendOptions): PostgresBackend {
  const schema = options.schema ?? DEFAULT_SCHEMA
  const s = quoteSchema(schema)
  if (options.pool === undefined && (typeof options.connectionString !== 'string' || options.connectionString === '')) {
    throw new InvalidArgumentError('postgresBackend: give connectionString or pool')
  }
  const poolSize = integerOption('poolSize', options.poolSize, { min: 1, max: 1000 }, DEFAULT_POOL_SIZE)
  const pollIntervalMs = integerOption('pollIntervalMs', options.pollIntervalMs, { min: MIN_POLL_INTERVAL_MS, max: MAX_POLL_INTERVAL_MS }, DEFAULT_POLL_INTERVAL_MS)
  const applicationName = options.applicationName ?? 'quire-event-store'
  if (options.orderedCommits !== undefined && typeof options.orderedCommits !== 'boolean') {
    throw new InvalidArgumentError('orderedCommits must be a boolean')
  }
  const orderedCommits = options.orderedCommits ?? true
  let current: PostgresDriver | undefined

  return {
    name: 'postgres',
    async horizonLag() {
      if (current === undefined) throw new ClosedError()
      return current.horizonLag()
    },
    async open() {
      const ownsPool = options.pool === undefined
      const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: poolSize, application_name: applicationName })
      // An idle client that loses its server emits 'error' on the pool; the pool drops it, and
      // the next query connects anew. Without a listener it would crash the process.
      if (ownsPool) pool.on('error', () => undefined)
      const listenConfig: pg.ClientConfig | undefined =
        options.listen === false
          ? undefined
          : options.listen !== undefined
            ? { connectionString: options.listen.connectionString, application_name: applicationName }
            : options.connectionString !== undefined && options.pool === undefined
              ? { connectionString: options.connectionString, application_name: applicationName }
              : (pool.options)
      const wakeups = new AppendWakeups({ channel: `quire_append_${schema}`, listenConfig, pool, pollIntervalMs })
      try {
        if (options.migrate === true) await migrate({ pool, schema })
        else await checkSchemaVersion(pool, schema)
        await wakeups.start()
      } catch (error) {
        await wakeups.close()
        if (ownsPool) await pool.end().catch(() => undefined)
        throw error
      }
      const driver: PostgresDriver = new PostgresDriver({
        pool,
        ownsPool,
        schema,
        s,
        wakeups,
        orderedCommits,
        // Forgotten once closed, so horizonLag() says CLOSED instead of using an ended pool.
        onClosed: () => {
          if (current === driver) current = undefined
        },
      })
      current = driver
      return driver
    },
  }
}
