/**
 * A refusal the ledger gives on purpose: a stable `code` (the contract) and the HTTP status it
 * maps to. Nothing was changed when one of these is thrown, except for a decline, which is
 * recorded as an event (see `decide.ts`) and is not an error.
 */
export class LedgerError extends Error {
  /** Stable machine-readable code, e.g. `ACCOUNT_NOT_FOUND`. */
  readonly code: string
  /** HTTP status of the reply. */
  readonly status: number

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LedgerError'
    this.code = code
    this.status = status
  }
}

export const badRequest = (code: string, message: string): LedgerError => new LedgerError(400, code, message)
export const notFound = (code: string, message: string): LedgerError => new LedgerError(404, code, message)
export const conflict = (code: string, message: string): LedgerError => new LedgerError(409, code, message)
export const unprocessable = (code: string, message: string): LedgerError => new LedgerError(422, code, message)
export const unavailable = (code: string, message: string, options?: { cause?: unknown }): LedgerError =>
  new LedgerError(503, code, message, options)
