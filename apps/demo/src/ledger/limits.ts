/**
 * Every limit of the ledger service, named (TIGER_STYLE: a bound on everything, with its unit).
 * A request beyond a limit gets a 4xx; load beyond a queue bound gets a 503, never a queue that
 * grows without end.
 */

/** Largest request body the HTTP API reads; a larger one is refused with 413 before parsing. */
export const MAX_BODY_BYTES = 16 * 1024

/** Largest amount of one command, in cents (10 million units). */
export const MAX_AMOUNT_CENTS = 1_000_000_000

/** Largest balance an account may reach, in cents: far below 2^53, so sums stay exact. */
export const MAX_BALANCE_CENTS = 1_000_000_000_000_000

/** Commands being executed at once; the next one gets 503 `OVERLOADED` (shed, not queued). */
export const MAX_IN_FLIGHT_COMMANDS = 256

/** Queries being answered at once; the next one gets 503 `OVERLOADED`. */
export const MAX_IN_FLIGHT_QUERIES = 256

/** Idempotency keys: 1..128 printable ASCII characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128

/** Account ids: lowercase letters, digits and dashes, 1..40 characters, starting with a letter or digit. */
export const ACCOUNT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/

/** Owner names: 1..80 characters. */
export const MAX_OWNER_LENGTH = 80

/** Times a command is decided again after `WRONG_EXPECTED_VERSION` before the client gets 503 `CONTENTION`. */
export const COMMAND_CONFLICT_RETRIES = 40

/** Snapshot an account aggregate after a load that folded this many events. */
export const ACCOUNT_SNAPSHOT_EVERY = 32

/** Statement lines kept per account in the read model (the newest; older ones are deleted). */
export const READ_MODEL_LINES_KEPT = 50

/** Events the projection applies in one MVCC transaction (each writes at most 4 keys). */
export const PROJECTION_BATCH_EVENTS = 512

/** Write an MVCC checkpoint (and truncate its WAL) after this many projected events. */
export const READ_MODEL_CHECKPOINT_EVERY_EVENTS = 20_000

/** Longest a query with `?atLeast=<position>` waits for the read model, in ms, before 503. */
export const READ_YOUR_WRITES_WAIT_MS = 2_000

/** Lines of a statement document: the newest events of the account, at most this many. */
export const STATEMENT_MAX_LINES = 400

/** Lines a `GET /accounts/:id/statement` returns at most. */
export const MAX_STATEMENT_QUERY_LINES = READ_MODEL_LINES_KEPT
