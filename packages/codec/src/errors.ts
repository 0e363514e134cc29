import { CorruptError, QuireError } from '@quire/errors'

export { InvalidArgumentError } from '@quire/errors'

/**
 * A value cannot be encoded by the chosen codec (undefined, a function, a cycle, NaN, an
 * unsupported class, too deep, ...). Thrown before any byte is produced.
 */
export class InvalidValueError extends QuireError {
  /** Stable error code (see ERRORS.md in `@quire/errors`); messages may change, codes do not. */
  declare readonly code: 'INVALID_VALUE'
  /**
   * Where the offending value sits, from the root: `data.items[3].when`, `tags[0]`,
   * `["odd key"].x`. The empty string means the root value itself.
   */
  readonly path: string

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('INVALID_VALUE', `Invalid value at ${path === '' ? '(root)' : path}: ${reason}`, options)
    this.path = path
  }
}

/** A payload is larger than the frame size limit in force (`maxFrameBytes`). */
export class FrameTooLargeError extends QuireError {
  declare readonly code: 'FRAME_TOO_LARGE'
  /** The payload size that was refused, in bytes. */
  readonly payloadBytes: number
  /** The limit in force, in bytes. */
  readonly maxFrameBytes: number

  constructor(payloadBytes: number, maxFrameBytes: number) {
    super('FRAME_TOO_LARGE', `Frame payload of ${payloadBytes} bytes exceeds maxFrameBytes (${maxFrameBytes})`)
    this.payloadBytes = payloadBytes
    this.maxFrameBytes = maxFrameBytes
  }
}

/**
 * Bytes (or text) could not be decoded into a valid value by a value codec: stored data this
 * codec did not write, or damaged. Code `CORRUPT` (it was `DECODE_FAILED`), the shared
 * `CorruptError`.
 */
export class DecodeError extends CorruptError {
  declare readonly code: 'CORRUPT'
}

/**
 * Runs `encode`; anything it throws that is not already an {@link InvalidValueError} — a getter or
 * a Proxy trap that throws, a `toJSON` that throws, a getter that answered differently to the
 * validation than to the encoder (a BigInt JSON cannot hold) — becomes one, with the original as
 * `cause`: a hostile value is refused with the codec's typed error, never a bare TypeError.
 */
export function typedEncodeFailure<T>(encode: () => T): T {
  try {
    return encode()
  } catch (err) {
    if (err instanceof InvalidValueError) throw err
    throw new InvalidValueError('', `the value could not be read or encoded: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}
