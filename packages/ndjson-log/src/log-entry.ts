/** A record: a JSON object (plain object; values JSON can hold, plus `Date`). */
export type LogRecord = Record<string, unknown>

/** A record as stored: its sequence number and value. */
export interface LogEntry<T extends object = LogRecord> {
  readonly seq: number
  readonly record: T
}
