/**
 * A value cannot be encoded by the chosen codec (undefined, a function, a cycle, NaN, an
 * unsupported class, too deep, ...). Thrown before any byte is produced.
 */
export class InvalidValueError extends Error {
  /** Stable error code; messages may change, codes do not. */
  readonly code = 'INVALID_VALUE' as const
  /**
   * Where the offending value sits, from the root: `data.items[3].when`, `tags[0]`,
   * `["odd key"].x`. The empty string means the root value itself.
   */
  readonly path: string

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`Invalid value at ${path === '' ? '(root)' : path}: ${reason}`, options)
    this.name = 'InvalidValueError'
    this.path = path
  }
}

/** A payload is larger than the frame size limit in force (`maxFrameBytes`). */
export class FrameTooLargeError extends Error {
  readonly code = 'FRAME_TOO_LARGE' as const
  /** The payload size that was refused, in bytes. */
  readonly payloadBytes: number
  /** The limit in force, in bytes. */
  readonly maxFrameBytes: number

  constructor(payloadBytes: number, maxFrameBytes: number) {
    super(`Frame payload of ${payloadBytes} bytes exceeds maxFrameBytes (${maxFrameBytes})`)
    this.name = 'FrameTooLargeError'
    this.payloadBytes = payloadBytes
    this.maxFrameBytes = maxFrameBytes
  }
}

/** Bytes (or text) could not be decoded into a valid value by a value codec. */
export class DecodeError extends Error {
  readonly code = 'DECODE_FAILED' as const

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DecodeError'
  }
}

/** A caller passed an argument of the wrong type or range (a programmer error). */
export class InvalidArgumentError extends Error {
  readonly code = 'INVALID_ARGUMENT' as const

  constructor(message: string) {
    super(message)
    this.name = 'InvalidArgumentError'
  }
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
