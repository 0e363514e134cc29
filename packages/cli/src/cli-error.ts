/**
 * An error of the command line itself (as opposed to one a store package threw), with a stable
 * `code` like the packages' errors, so `--json` output and scripts can branch on it.
 */
export class CliError extends Error {
  /** `NOT_A_STORE`, `NOT_FOUND`, `INVALID_ARGUMENT`, `UNSUPPORTED`, `TARGET_NOT_EMPTY`, `IMPORT_MISMATCH`, `EXPORT_INCOMPLETE`, `KIND_MISMATCH`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
    this.code = code
  }
}
