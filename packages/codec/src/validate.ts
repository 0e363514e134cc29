import { InvalidArgumentError, InvalidValueError, typedEncodeFailure } from './errors.js'

/** The value formats of this package. */
export type ValueFormat = 'msgpack' | 'json'

/**
 * The deepest nesting of arrays and objects a value may have: 512 containers (the root
 * array or object counts as 1). Deeper values are rejected when encoding and when decoding.
 */
export const MAX_VALUE_DEPTH = 512

/** The range of bigints msgpack can carry exactly (int 64 and uint 64). */
const MIN_BIGINT = -(2n ** 63n)
const MAX_BIGINT = 2n ** 64n - 1n

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Formats a path from the root: `data.items[3].when`, `["odd key"][0]`; '' is the root. */
export function formatPath(segments: readonly (string | number)[]): string {
  let path = ''
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`
    else if (IDENTIFIER.test(segment)) path += path === '' ? segment : `.${segment}`
    else path += `[${JSON.stringify(segment)}]`
  }
  return path
}

const isWellFormed = (text: string): boolean =>
  (text as string & { isWellFormed(): boolean }).isWellFormed()

/** What the walk saw, so encoders can skip work (a JSON value without Dates needs no replacer). */
export interface ValueFacts {
  hasDate: boolean
}

/**
 * Walks a value once, depth first, keeping the path for error messages and the ancestors for
 * cycles. Reused from one walk to the next (see {@link inspectValue}).
 */
class Walker {
  readonly facts: ValueFacts = { hasDate: false }
  readonly #format: ValueFormat
  readonly #path: (string | number)[] = []
  /**
   * `#stack[d]` is the container at depth d on the way to the value visited now: its ancestors are
   * `#stack[0, depth)`. A linear search there finds a cycle as the Set of ancestors did, without a
   * Set's allocation and hashing: values are mostly a few containers deep, and at most
   * MAX_VALUE_DEPTH (512), so a container costs at most 512 comparisons.
   */
  readonly #stack: object[] = []

  constructor(format: ValueFormat) {
    this.#format = format
  }

  /** Forgets the values of the last walk (a failed one leaves its path and ancestors), keeping its facts. */
  release(): void {
    this.#path.length = 0
    this.#stack.length = 0
  }

  fail(reason: string): never {
    throw new InvalidValueError(formatPath(this.#path), reason)
  }

  visit(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        // msgpack writes UTF-8: a lone surrogate would come back as U+FFFD, not as itself.
        if (this.#format === 'msgpack' && !isWellFormed(value)) {
          this.fail('string contains a lone UTF-16 surrogate, which UTF-8 cannot carry')
        }
        return
      case 'number':
        if (!Number.isFinite(value)) this.fail(`${String(value)} is not a finite number`)
        return
      case 'boolean':
        return
      case 'undefined':
        return this.fail('undefined is not allowed (use null, or leave the key out)')
      case 'bigint':
        if (this.#format === 'json') this.fail('bigint is not supported by the JSON codec')
        if (value < MIN_BIGINT || value > MAX_BIGINT) this.fail('bigint outside the 64-bit range [-2^63, 2^64-1]')
        return
      case 'function':
        return this.fail('functions are not allowed')
      case 'symbol':
        return this.fail('symbols are not allowed')
      case 'object':
        if (value !== null) this.#visitObject(value, depth)
        return
    }
  }

  #visitObject(value: object, depth: number): void {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto === Date.prototype) {
      if (Number.isNaN((value as Date).getTime())) this.fail('invalid Date')
      this.facts.hasDate = true
      return
    }
    if (proto === Uint8Array.prototype || proto === Buffer.prototype) {
      if (this.#format === 'json') this.fail('binary data (Uint8Array) is not supported by the JSON codec')
      return
    }
    const isArray = proto === Array.prototype && Array.isArray(value)
    if (!isArray && proto !== Object.prototype && proto !== null) {
      const name = (proto as { constructor?: { name?: unknown } } | undefined)?.constructor?.name
      this.fail(`unsupported class ${typeof name === 'string' && name !== '' ? name : '(anonymous)'}`)
    }
    if (depth >= MAX_VALUE_DEPTH) this.fail(`nested deeper than ${MAX_VALUE_DEPTH} arrays/objects`)
    const stack = this.#stack
    for (let i = 0; i < depth; i++) if (stack[i] === value) this.fail('cycle: this value contains itself')
    stack[depth] = value
    if (isArray) this.#visitArray(value as unknown[], depth + 1)
    else this.#visitRecord(value as Record<string, unknown>, depth + 1)
  }

  #visitArray(array: readonly unknown[], depth: number): void {
    const path = this.#path
    for (let i = 0; i < array.length; i++) {
      path.push(i)
      // A hole reads as undefined and is rejected like it.
      this.visit(array[i], depth)
      path.pop()
    }
  }

  #visitRecord(record: Record<string, unknown>, depth: number): void {
    if (Object.getOwnPropertySymbols(record).length > 0) this.fail('symbol keys are not allowed')
    const keys = Object.keys(record)
    if (this.#format === 'json' && keys.length === 1 && keys[0] === '$date' && typeof record.$date === 'string') {
      this.fail('an object whose only key is "$date" with a string value is how JSON stores a Date; it would decode as one')
    }
    const path = this.#path
    for (const key of keys) {
      path.push(key)
      // Decoders refuse it (prototype pollution), so encoding it would write what cannot be read.
      if (key === '__proto__') this.fail('the key "__proto__" is not allowed')
      if (this.#format === 'msgpack' && !isWellFormed(key)) {
        this.fail('key contains a lone UTF-16 surrogate, which UTF-8 cannot carry')
      }
      this.visit(record[key], depth)
      path.pop()
    }
  }
}

/**
 * A walker per format not in use now: encoding allocated a walker, its path and its ancestor Set
 * per value (measured faster reused, with the ancestors on a stack, than either alone). A walk can
 * call back into an encoder (a plain object's getter may), so a walker is taken out while it walks
 * and the nested walk makes its own.
 */
const idleWalkers: Record<ValueFormat, Walker | undefined> = { msgpack: undefined, json: undefined }

/**
 * Validates and reports facts the encoders use. The facts object is the walker's: read it before
 * the next call.
 */
export function inspectValue(value: unknown, format: ValueFormat): ValueFacts {
  const walker = idleWalkers[format] ?? new Walker(format)
  idleWalkers[format] = undefined
  walker.facts.hasDate = false
  try {
    walker.visit(value, 0)
    return walker.facts
  } finally {
    walker.release()
    idleWalkers[format] = walker
  }
}

/**
 * Checks that `value` can be encoded by the `format` codec and decoded back equal.
 *
 * Accepted: `null`, booleans, finite numbers (`-0` is stored as `0`), strings, `Date`s that are
 * valid, arrays without holes, plain objects (prototype `Object.prototype` or `null`) with string
 * keys, at most {@link MAX_VALUE_DEPTH} containers deep. msgpack also takes `Uint8Array`
 * (and `Buffer`) as binary and bigints in [-2^63, 2^64-1]; it refuses strings with lone
 * surrogates. JSON refuses binary and bigints, and an object whose only key is `$date` with a
 * string value (that is how JSON stores a Date). Both refuse the key `__proto__`. A value may be
 * shared in several places, but not contain itself.
 *
 * @throws {@link InvalidValueError} (code `INVALID_VALUE`) naming the first offending path.
 */
export function validateValue(value: unknown, format: ValueFormat): void {
  if (format !== 'msgpack' && format !== 'json') {
    throw new InvalidArgumentError(`validateValue: format must be 'msgpack' or 'json'`)
  }
  typedEncodeFailure(() => inspectValue(value, format))
}
