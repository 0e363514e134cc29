import { UnsupportedVersionError } from '@quire/errors'

/**
 * The database's schema is not the one this package version works with: missing or older
 * (run {@link migrate}, or open with `migrate: true`), or newer (upgrade the package).
 * Code `UNSUPPORTED_VERSION` (the shared `UnsupportedVersionError` of `@quire/errors`).
 */
export class SchemaVersionError extends UnsupportedVersionError {
  /** The schema's version in the database; `undefined` when it has none (not migrated). */
  readonly found: number | undefined
  /** The version this package works with. */
  readonly expected: number

  constructor(schema: string, found: number | undefined, expected: number) {
    super(
      found === undefined
        ? `schema ${JSON.stringify(schema)} has no Quire tables; run migrate() or open with migrate: true`
        : found < expected
          ? `schema ${JSON.stringify(schema)} is at version ${found}, this package needs ${expected}; run migrate()`
          : `schema ${JSON.stringify(schema)} is at version ${found}, newer than this package's ${expected}; upgrade @quire/event-store-postgres`,
    )
    this.found = found
    this.expected = expected
  }
}
