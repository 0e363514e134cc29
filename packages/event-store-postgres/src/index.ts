export { postgresBackend, type PostgresBackend, type PostgresBackendOptions } from './backend.js'
export { migrate, SCHEMA_VERSION, type ConnectionOptions, type MigrateResult } from './migrate.js'
export { horizonLag } from './horizon-lag-standalone.js'
export type { HorizonLag } from './horizon-lag.js'
export type { PostgresDriver } from './postgres-driver.js'
export { SchemaVersionError } from './errors.js'
export {
  SQLSTATE_WRONG_EXPECTED_VERSION,
  SQLSTATE_DUPLICATE_EVENT_ID,
  SQLSTATE_STREAM_DELETED,
  SQLSTATE_INVALID_ARGUMENT,
} from './error-mapping.js'
export { DEFAULT_SCHEMA } from './schema-name.js'
export {
  MAX_EVENTS_PER_TRANSACTION,
  READ_PAGE_EVENTS,
  DEFAULT_POOL_SIZE,
  DEFAULT_POLL_INTERVAL_MS,
} from './limits.js'
