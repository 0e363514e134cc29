import type { ValueFormat } from './validate.js'

/** A validated value codec: what `encode` accepts, `decode` gives back equal. */
export interface ValueCodec {
  /** Which format this codec writes. */
  readonly format: ValueFormat
  /**
   * Validates `value` (see {@link validateValue}) and encodes it.
   *
   * @throws {@link InvalidValueError} (code `INVALID_VALUE`) before producing any byte.
   */
  encode(value: unknown): Uint8Array
  /**
   * Decodes bytes written by `encode` (or by another writer of the same format). The result is
   * always a value `encode` accepts.
   *
   * @throws {@link DecodeError} (code `CORRUPT`) for malformed or hostile input.
   */
  decode(bytes: Uint8Array): unknown
}
