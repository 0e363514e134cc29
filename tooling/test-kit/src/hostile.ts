import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { join } from 'node:path'
import fc from 'fast-check'
import type { FileSystem } from '@quire/vfs'

/**
 * Hostile arguments for the public entry points (issue 13, "Hostile input"): wrong types, `NaN`,
 * `-0`, infinities, numbers past 2^53, huge lengths, lone UTF-16 surrogates, `__proto__` and
 * `constructor` keys, getters that change their answer, proxies and conversions that throw,
 * sparse arrays that claim 2^32 − 1 elements. Each draw makes fresh objects (a getter's state
 * is its own).
 */
export function arbHostile(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(
      undefined,
      null,
      Number.NaN,
      -0,
      0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53,
      -(2 ** 53),
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      1.5,
      -1,
      2 ** 32,
      '',
      '\u0000',
      '..',
      '/',
      '../../etc/passwd',
      '\uD800',
      'a\uDFFFb',
      true,
      Symbol('hostile'),
      10n,
      2n ** 64n,
    ),
    fc.constant(null).map(() => hostileObject()),
    fc.constantFrom(...hostileMakers).map((make) => make()),
    fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 3 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  )
}

const hostileMakers: (() => unknown)[] = [
  () => [],
  () => ({}),
  () => Object.create(null) as unknown,
  () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  () => ({ constructor: { prototype: { polluted: true } } }),
  () => new Date(Number.NaN),
  () => /x/,
  () => new Map([['a', 1]]),
  () => new Set([1]),
  () => Promise.resolve(1),
  () => new Uint8Array(0),
  () => new ArrayBuffer(8),
  () => new Float64Array([Number.NaN]),
  () => (): number => 1,
  // A sparse array that claims 2^32 - 1 elements.
  () => {
    const a: unknown[] = []
    a.length = 2 ** 32 - 1
    return a
  },
  // An array-like with a huge length.
  () => ({ length: 2 ** 40, 0: 'a' }),
  // Conversions that throw.
  () => ({
    [fc.toStringMethod]: () => 'hostile conversions',
    [Symbol.toPrimitive](): never {
      throw new Error('hostile toPrimitive')
    },
    toString(): never {
      throw new Error('hostile toString')
    },
    toJSON(): never {
      throw new Error('hostile toJSON')
    },
  }),
  // A proxy whose traps throw for every property a store could read (symbols answer, so that
  // fast-check can still clone and print it).
  () =>
    new Proxy(
      {},
      {
        get(_target, key): unknown {
          if (key === fc.toStringMethod) return () => 'hostile Proxy'
          if (typeof key === 'symbol') return undefined
          throw new Error('hostile get')
        },
        ownKeys(): never {
          throw new Error('hostile ownKeys')
        },
        getOwnPropertyDescriptor(): never {
          throw new Error('hostile descriptor')
        },
        has(_target, key): boolean {
          if (typeof key === 'symbol') return false
          throw new Error('hostile has')
        },
      },
    ),
  // A string of 2^20 characters.
  () => 'x'.repeat(2 ** 20),
]

/** An object with a getter that answers differently each time (a number, then a string, then ...). */
function hostileObject(): unknown {
  let reads = 0
  return {
    get value(): unknown {
      return [1, 'two', undefined, { three: 3 }][reads++ % 4]
    },
  }
}

/**
 * An object whose property `key` answers `first` on the first read and `then` on every later one:
 * code that validates a value and then reads it again writes what it never checked.
 */
export function flipping<T extends object>(base: T, key: string, first: unknown, then: unknown): T {
  let reads = 0
  return Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get: () => (reads++ === 0 ? first : then),
  })
}

/** `value` itself, or (half the time) a hostile value in its place. */
export function maybeHostile<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(valid, arbHostile())
}

/**
 * True when `err` is what a store throws on purpose: an `Error` with a stable string `code` among
 * `codes` — never a `TypeError` from deep inside, never a bare Node error.
 */
export function isTypedError(err: unknown, codes: readonly string[]): boolean {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined
  return typeof code === 'string' && codes.includes(code)
}

/** Whether some code polluted `Object.prototype` (a `__proto__` key merged into a plain object). */
export function prototypePolluted(): boolean {
  return Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted') || ({} as { polluted?: unknown }).polluted !== undefined
}

/**
 * Everything under `root` on `fs`: each file's path and a hash of its content, each directory.
 * Two equal results mean nothing was written (a hostile call must leave the disk as it was).
 */
export async function diskState(fs: FileSystem, root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    let names: string[]
    try {
      names = (await fs.readdir(dir)).sort()
    } catch {
      return
    }
    for (const name of names) {
      const path = join(dir, name)
      const st = await fs.stat(path)
      if (st.isDirectory) {
        out.push(`${path}/`)
        await walk(path)
      } else {
        out.push(`${path} ${createHash('sha1').update(await fs.readFile(path)).digest('hex')}`)
      }
    }
  }
  await walk(root)
  return out
}

/** What {@link refusedOrDone} checks around one call with hostile input. */
export interface HostileCallCheck {
  /** The store's file system and the folder whose bytes a refusal must leave as they were. */
  readonly fs: FileSystem
  readonly dir: string
  /** The error codes a refusal may carry. */
  readonly codes: readonly string[]
  /** Extra state a refusal must leave unchanged (e.g. an in-memory head): read before and after. */
  readonly memory?: () => unknown
  /** A valid operation that must still work afterwards (it throws or fails an expect if not). */
  readonly stillWorks: () => Promise<void>
}

/**
 * Runs `call`, a public entry point given hostile input: it either completes, or is refused with
 * a typed error whose `code` is in `check.codes` and leaves the disk under `check.dir` (and
 * `check.memory()`) as it was. Either way no prototype is polluted and the store still works.
 * Returns which of the two happened.
 */
export async function refusedOrDone(check: HostileCallCheck, call: () => Promise<unknown>): Promise<'refused' | 'done'> {
  const before = await diskState(check.fs, check.dir)
  const memory = check.memory?.()
  let outcome: 'refused' | 'done' = 'done'
  try {
    await call()
  } catch (err) {
    expect(isTypedError(err, check.codes), String(err)).toBe(true)
    expect(await diskState(check.fs, check.dir)).toEqual(before)
    expect(check.memory?.()).toEqual(memory)
    outcome = 'refused'
  }
  expect(prototypePolluted()).toBe(false)
  await check.stillWorks()
  return outcome
}
