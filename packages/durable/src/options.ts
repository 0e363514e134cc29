import { InvalidArgumentError } from '@quire/errors'
import { checkOptionKeys } from '@quire/vfs'

/** Builds the error a refused option throws (default: `InvalidArgumentError`, code `INVALID_ARGUMENT`). */
export type InvalidFactory = (message: string) => Error

const defaultInvalid: InvalidFactory = (message) => new InvalidArgumentError(message)

/**
 * A short description of a value for a message, without converting it: `String()` of a hostile
 * value throws (a null-prototype object, a `toString` that throws) or builds 4 GB (a sparse array
 * of length 2^32 − 1).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/**
 * `value` when it is a safe integer in `[min, max]`; `fallback` when `value` is `undefined` (an
 * option left out). Anything else throws `invalid("<name> must be an integer in [min, max], got …")`.
 */
export function integerOption(name: string, value: unknown, range: { readonly min: number; readonly max: number }, fallback?: number, invalid: InvalidFactory = defaultInvalid): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw invalid(`${name} must be an integer in [${range.min}, ${range.max}], got ${describeValue(value)}`)
  }
  return value
}

/**
 * `value` when it is one of `allowed`; `fallback` when it is `undefined`. Anything else throws
 * `invalid("<name> must be 'a', 'b' or 'c', got …")`.
 */
export function oneOfOption<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback?: T, invalid: InvalidFactory = defaultInvalid): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw invalid(`${name} must be ${listOf(allowed)}, got ${describeValue(value)}`)
}

/** `value` when it is a boolean; `fallback` when it is `undefined`; else throws `invalid(...)`. */
export function booleanOption(name: string, value: unknown, fallback?: boolean, invalid: InvalidFactory = defaultInvalid): boolean {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value === 'boolean') return value
  throw invalid(`${name} must be true or false, got ${describeValue(value)}`)
}

/**
 * `value` when it is a function (`now`, a hook); `fallback` when `undefined`; else throws `invalid(...)`.
 *
 * @typeParam F - the function's type, as the options type declares it (not checked at run time).
 */
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown, fallback?: F, invalid: InvalidFactory = defaultInvalid): F {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value === 'function') return value as F
  throw invalid(`${name} must be a function, got ${describeValue(value)}`)
}

function listOf(allowed: readonly string[]): string {
  const quoted = allowed.map((a) => `'${a}'`)
  return quoted.length <= 1 ? (quoted[0] ?? 'nothing') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]!}`
}

/** The keys of `T` that `keys` leaves out (`never` when it names them all). */
type MissingKeys<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>

/**
 * The option keys a call knows, checked against its options type at compile time and against
 * the caller's object at run time (one piece instead of a per-package `option-keys.ts`):
 *
 * ```ts
 * const OPEN_KEYS = optionKeys<WalOptions>()(['fs', 'sync', ...] as const, 'Wal.open')
 * OPEN_KEYS.check(opts) // INVALID_ARGUMENT "Wal.open: unknown option \"synk\""
 * ```
 *
 * Leaving a key of `T` out of the list fails to compile (the argument's type names the missing
 * keys), and so does naming a key `T` does not have. A misspelt option must be an error, never
 * silently ignored, least of all one about durability.
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([MissingKeys<T, K>] extends [never] ? unknown : { readonly missingOptionKeys: MissingKeys<T, K> }),
    where: string,
    invalid: InvalidFactory = defaultInvalid,
  ): OptionKeys => new OptionKeys(keys, where, invalid)
}

/** A checked list of option keys; see {@link optionKeys}. */
export class OptionKeys {
  /** The keys, in the order given. */
  readonly keys: readonly string[]
  readonly #set: ReadonlySet<string>
  readonly #where: string
  readonly #invalid: InvalidFactory

  constructor(keys: readonly string[], where: string, invalid: InvalidFactory = defaultInvalid) {
    this.keys = keys
    this.#set = new Set(keys)
    this.#where = where
    this.#invalid = invalid
  }

  /**
   * Throws `invalid("<where>: unknown option \"<key>\"")` for the first key of `options` not in
   * the list, or when `options` is not a plain object (`undefined` is fine: no options).
   */
  check(options: unknown): void {
    checkOptionKeys(options, this.#set, this.#where, this.#invalid)
  }
}
