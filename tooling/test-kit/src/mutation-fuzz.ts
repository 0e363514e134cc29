import { join } from 'node:path'
import fc from 'fast-check'
import { isLockFile, type FileSystem } from '@quire/vfs'
import type { SimFileSystem } from '@quire/vfs/sim'
import { checkProperty } from './runs.js'

/**
 * One change to a store's files at rest: a flipped byte, a truncation, random bytes appended, two
 * files' contents swapped (issue 13, "Hostile input": a mutation fuzzer at open for every on-disk
 * format). Files are chosen by index into the store's files, sorted by path; offsets by fraction.
 */
export type Mutation =
  | { readonly kind: 'flip'; readonly file: number; readonly at: number; readonly mask: number }
  | { readonly kind: 'truncate'; readonly file: number; readonly at: number }
  | { readonly kind: 'extend'; readonly file: number; readonly bytes: Uint8Array }
  | { readonly kind: 'overwrite'; readonly file: number; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'swap'; readonly file: number; readonly other: number }

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

/**
 * One to three mutations (of the `kinds` given; default all); `overwrite` writes length-like
 * values (all ones, 2^31, 2^53 − 1 ...) as well as random bytes.
 */
export function arbMutations(kinds: readonly Mutation['kind'][] = ['flip', 'truncate', 'extend', 'overwrite', 'swap']): fc.Arbitrary<Mutation[]> {
  const file = fc.nat(1000)
  const lengthLike = fc.constantFrom(
    new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    new Uint8Array([0xff, 0xff, 0xff, 0x7f]),
    new Uint8Array([0x00, 0x00, 0x00, 0x80]),
    new Uint8Array([0, 0, 0, 0]),
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]),
  )
  const all: Record<Mutation['kind'], fc.Arbitrary<Mutation>> = {
    flip: fc.record({ kind: fc.constant('flip' as const), file, at: fraction, mask: fc.integer({ min: 1, max: 255 }) }),
    truncate: fc.record({ kind: fc.constant('truncate' as const), file, at: fraction }),
    extend: fc.record({ kind: fc.constant('extend' as const), file, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    overwrite: fc.record({ kind: fc.constant('overwrite' as const), file, at: fraction, bytes: fc.oneof(lengthLike, fc.uint8Array({ minLength: 1, maxLength: 16 })) }),
    swap: fc.record({ kind: fc.constant('swap' as const), file, other: file }),
  }
  return fc.array(fc.oneof(...kinds.map((k) => all[k])), { minLength: 1, maxLength: 3 })
}

/** Every regular file under `root` (sorted paths), except the lock files `skip` names. */
export async function filesUnder(fs: FileSystem, root: string, skip: (name: string) => boolean = isLockFile): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await fs.readdir(dir)).sort()) {
      const path = join(dir, name)
      const st = await fs.stat(path)
      if (st.isDirectory) await walk(path)
      else if (!skip(name)) out.push(path)
    }
  }
  await walk(root)
  return out
}

/** Applies `mutations` to the files under `root` on `fs`; returns what was done, for a failure message. */
export async function applyMutations(fs: FileSystem, root: string, mutations: readonly Mutation[], skip?: (name: string) => boolean): Promise<string[]> {
  const files = await filesUnder(fs, root, skip)
  if (files.length === 0) return []
  const done: string[] = []
  for (const m of mutations) {
    const path = files[m.file % files.length]!
    const bytes = await fs.readFile(path)
    const at = 'at' in m ? Math.floor(m.at * bytes.byteLength) : 0
    let next: Uint8Array
    switch (m.kind) {
      case 'flip':
        if (bytes.byteLength === 0) continue
        next = bytes.slice()
        next[at] = next[at]! ^ m.mask
        done.push(`flip ${path}@${at} ^${m.mask}`)
        break
      case 'truncate':
        next = bytes.slice(0, at)
        done.push(`truncate ${path} to ${at}`)
        break
      case 'extend':
        next = new Uint8Array(bytes.byteLength + m.bytes.byteLength)
        next.set(bytes)
        next.set(m.bytes, bytes.byteLength)
        done.push(`extend ${path} by ${m.bytes.byteLength}`)
        break
      case 'overwrite':
        next = bytes.slice()
        next.set(m.bytes.subarray(0, Math.max(0, next.byteLength - at)), at)
        done.push(`overwrite ${path}@${at} with ${Buffer.from(m.bytes).toString('hex')}`)
        break
      case 'swap': {
        const other = files[m.other % files.length]!
        if (other === path) continue
        const theirs = await fs.readFile(other)
        await fs.writeFile(other, bytes)
        next = theirs
        done.push(`swap ${path} and ${other}`)
        break
      }
    }
    await fs.writeFile(path, next)
  }
  return done
}

/** What the fuzzer needs to know about one store. */
export interface MutationFuzzTarget<S> {
  /** A disk holding the store, closed cleanly, with the data `written` describes. Cloned per run. */
  readonly base: SimFileSystem
  /** The store's directory (the files under it are mutated). */
  readonly root: string
  /** Opens the store on a mutated disk (recovery runs here). */
  open(fs: FileSystem): Promise<S>
  /** Everything the open store shows, each item as a string that `written` may hold. */
  readAll(store: S): Promise<string[]>
  close(store: S): Promise<void>
  /** Every item ever written, in the same form as `readAll`'s: anything else is invented. */
  readonly written: ReadonlySet<string>
  /** The typed codes a damaged store may be refused (or a read may fail) with. */
  readonly codes: readonly string[]
  /** Files left alone (default: lock files, `isLockFile` of `@quire/vfs`). */
  readonly skip?: (name: string) => boolean
  /** The mutations to try (default: every kind). */
  readonly kinds?: readonly Mutation['kind'][]
}

/** Heap growth (JS heap and array buffers) an open may cause on a store of a few KB. */
const MAX_GROWTH_BYTES = 64 * 1024 * 1024

/**
 * The mutation fuzzer at open: for random mutations of the store's files, opening it (and reading
 * everything back) either fails with a typed error among `codes`, or succeeds and shows nothing
 * that was never written — never an untyped crash, never a hang (each run is bounded by
 * `timeoutMs`), never an allocation a length field drove (the heap grows by less than 64 MiB).
 */
export async function checkMutationFuzz<S>(target: MutationFuzzTarget<S>, options: { numRuns?: number; timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000
  await checkProperty(
    fc.asyncProperty(arbMutations(target.kinds), async (mutations) => {
      const fs = target.base.clone()
      const done = await applyMutations(fs, target.root, mutations, target.skip)
      const before = memory()
      let timer: NodeJS.Timeout | undefined
      const run = (async (): Promise<{ read: string[] } | { error: unknown }> => {
        let store: S
        try {
          store = await target.open(fs)
        } catch (error) {
          return { error }
        }
        try {
          return { read: await target.readAll(store) }
        } catch (error) {
          return { error }
        } finally {
          await target.close(store).catch(() => undefined)
        }
      })()
      const hang = new Promise<'hang'>((resolve) => {
        timer = setTimeout(() => resolve('hang'), timeoutMs)
      })
      const outcome = await Promise.race([run, hang])
      clearTimeout(timer)
      const what = done.join('; ')
      if (outcome === 'hang') throw new Error(`open or read did not finish within ${timeoutMs} ms after: ${what}`)
      const grown = memory() - before
      if (grown > MAX_GROWTH_BYTES) throw new Error(`the heap grew by ${grown} bytes after: ${what}`)
      if ('error' in outcome) {
        const code = (outcome.error as { code?: unknown } | null)?.code
        if (!(outcome.error instanceof Error) || typeof code !== 'string' || !target.codes.includes(code)) {
          throw new Error(`untyped or unexpected failure after: ${what}: ${String(outcome.error)} (code ${String(code)})`, { cause: outcome.error })
        }
        return
      }
      for (const item of outcome.read) {
        if (!target.written.has(item)) throw new Error(`invented ${item.slice(0, 200)} after: ${what}`)
      }
    }),
    { numRuns: options.numRuns ?? 100 },
  )
}

function memory(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
