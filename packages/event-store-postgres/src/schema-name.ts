import { InvalidArgumentError } from '@quire/event-store'

/**
 * What a schema name may be: a plain lowercase SQL identifier of at most 48 bytes (PostgreSQL's
 * limit is 63; the rest is left for the channel and lock names derived from it). Anything else
 * is refused rather than escaped, so the name reads the same in `psql` as in the code.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/

/** The default schema of every table and function this package creates. */
export const DEFAULT_SCHEMA = 'quire'

/**
 * Checks `schema` and returns it double-quoted for use in SQL text. Schema names are the only
 * text this package puts into SQL; every value travels as a bound parameter.
 *
 * @throws {@link InvalidArgumentError} (code `INVALID_ARGUMENT`) when it is not a lowercase
 * identifier of 1..48 bytes, or starts with `pg_` (reserved by PostgreSQL).
 */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new InvalidArgumentError(
      `schema must be a lowercase identifier of 1..48 characters [a-z0-9_], not starting with a digit or pg_; got ${JSON.stringify(schema)}`,
    )
  }
  return `"${schema}"`
}
