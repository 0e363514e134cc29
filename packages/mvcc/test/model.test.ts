// Model-based tests: random interleavings of transactions (fast-check commands) against a
// serial model that states the isolation rules directly: each transaction reads the committed
// state as of its begin plus its own writes; a writer commits unless a transaction that
// committed after its begin wrote a key it writes (both levels) or, serializable only, a key
// it read or one inside a range it scanned. The model orders keys by Buffer.compare of UTF-8.
import { describe, it, expect } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { ConflictError } from '../src/errors.js'
import type { IsolationLevel } from '../src/engine.js'
import type { Transaction } from '../src/transaction.js'
import { backends } from './backends.js'
import { collect, type TestDb } from './helpers.js'

const KEYS = ['a', 'ab', 'b', 'a/b', '\uFFFD', '😀', 'é']
type Value = number | string | null

interface ModelTx {
  readonly snap: number
  readonly readOnly: boolean
  readonly writes: Map<string, Value | undefined>
  readonly reads: Set<string>
  readonly ranges: ((key: string) => boolean)[]
  readonly real: Transaction
  open: boolean
}

interface Model {
  readonly level: IsolationLevel
  /** states[i]: the committed state after i write-commits. */
  readonly states: Map<string, Value>[]
  /** writtenBy[i]: keys written by the commit that made states[i]. */
  readonly writtenBy: Set<string>[]
  readonly txs: ModelTx[]
}

interface Real {
  readonly db: TestDb
}

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

function view(model: Model, tx: ModelTx): Map<string, Value> {
  const state = new Map(model.states[tx.snap])
  for (const [k, v] of tx.writes) {
    if (v === undefined) state.delete(k)
    else state.set(k, v)
  }
  return state
}

function pick(model: Model, n: number): ModelTx | undefined {
  const open = model.txs.filter((t) => t.open)
  return open.length === 0 ? undefined : open[n % open.length]
}

class Begin implements fc.AsyncCommand<Model, Real> {
  constructor(readonly readOnly: boolean) {}
  check = (): boolean => true
  run(model: Model, real: Real): Promise<void> {
    const tx = real.db.begin({ readOnly: this.readOnly })
    model.txs.push({
      snap: model.states.length - 1,
      readOnly: this.readOnly,
      writes: new Map(),
      reads: new Set(),
      ranges: [],
      real: tx,
      open: true,
    })
    return Promise.resolve()
  }
  toString = (): string => `begin(${this.readOnly ? 'ro' : 'rw'})`
}

class Get implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number, readonly key: string) {}
  check = (m: Readonly<Model>): boolean => m.txs.some((t) => t.open)
  async run(model: Model): Promise<void> {
    const tx = pick(model, this.n)!
    tx.reads.add(this.key)
    expect(await tx.real.get(this.key)).toEqual(view(model, tx).get(this.key))
  }
  toString = (): string => `get(#${this.n}, ${this.key})`
}

class Put implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number, readonly key: string, readonly value: Value | undefined) {}
  check = (m: Readonly<Model>): boolean => m.txs.some((t) => t.open)
  async run(model: Model): Promise<void> {
    const tx = pick(model, this.n)!
    const op = this.value === undefined ? tx.real.delete(this.key) : tx.real.put(this.key, this.value)
    if (tx.readOnly) {
      await expect(op).rejects.toMatchObject({ code: 'READ_ONLY' })
      return
    }
    await op
    tx.writes.set(this.key, this.value)
  }
  toString = (): string => `${this.value === undefined ? 'delete' : 'put'}(#${this.n}, ${this.key}, ${String(this.value)})`
}

class Scan implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly prefix: string | undefined,
    readonly gte: string | undefined,
    readonly lt: string | undefined,
    readonly reverse: boolean,
    readonly limit: number | undefined,
  ) {}
  check = (m: Readonly<Model>): boolean => m.txs.some((t) => t.open)
  async run(model: Model): Promise<void> {
    const tx = pick(model, this.n)!
    const { prefix, gte, lt } = this
    const inRange = (k: string): boolean =>
      (prefix === undefined || k.startsWith(prefix)) &&
      (gte === undefined || utf8Compare(k, gte) >= 0) &&
      (lt === undefined || utf8Compare(k, lt) < 0)
    let expected = [...view(model, tx)].filter(([k]) => inRange(k)).sort(([a], [b]) => utf8Compare(a, b))
    if (this.reverse) expected.reverse()
    if (this.limit !== undefined && (this.limit === 0 || expected.length > this.limit)) {
      // Stopped by its limit: it read the range only up to the last key it returned (issue 13).
      // Limit 0 reads nothing, whatever the range holds: it returns [] in every state.
      expected = expected.slice(0, this.limit)
      const last = expected.at(-1)?.[0]
      const dir = this.reverse ? -1 : 1
      tx.ranges.push((k) => last !== undefined && inRange(k) && dir * utf8Compare(k, last) <= 0)
    } else {
      tx.ranges.push(inRange)
    }
    const options = {
      ...(prefix === undefined ? {} : { prefix }),
      ...(gte === undefined ? {} : { gte }),
      ...(lt === undefined ? {} : { lt }),
      ...(this.limit === undefined ? {} : { limit: this.limit }),
      reverse: this.reverse,
    }
    expect(await collect(tx.real.scan(options))).toEqual(expected)
  }
  toString = (): string => `scan(#${this.n}, ${JSON.stringify([this.prefix, this.gte, this.lt, this.reverse, this.limit])})`
}

class Commit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>): boolean => m.txs.some((t) => t.open)
  async run(model: Model): Promise<void> {
    const tx = pick(model, this.n)!
    tx.open = false
    let conflict = false
    if (tx.writes.size > 0) {
      for (let i = tx.snap + 1; i < model.states.length; i++) {
        for (const key of model.writtenBy[i]!) {
          if (tx.writes.has(key)) conflict = true
          if (model.level === 'serializable' && (tx.reads.has(key) || tx.ranges.some((inRange) => inRange(key)))) {
            conflict = true
          }
        }
      }
    }
    if (conflict) {
      await expect(tx.real.commit()).rejects.toBeInstanceOf(ConflictError)
      return
    }
    await tx.real.commit()
    if (tx.writes.size === 0) return
    const next = new Map(model.states[model.states.length - 1])
    for (const [k, v] of tx.writes) {
      if (v === undefined) next.delete(k)
      else next.set(k, v)
    }
    model.states.push(next)
    model.writtenBy.push(new Set(tx.writes.keys()))
  }
  toString = (): string => `commit(#${this.n})`
}

class Abort implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>): boolean => m.txs.some((t) => t.open)
  async run(model: Model): Promise<void> {
    const tx = pick(model, this.n)!
    tx.open = false
    await tx.real.abort()
  }
  toString = (): string => `abort(#${this.n})`
}

const key = fc.constantFrom(...KEYS)
const optKey = fc.option(fc.constantFrom(...KEYS, 'a0', 'z'), { nil: undefined })
const value = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom('x', 'yy', null))
const n = fc.nat({ max: 7 })
const begin = fc.boolean().map((ro) => new Begin(ro))
const get = fc.tuple(n, key).map(([i, k]) => new Get(i, k))
const put = fc.tuple(n, key, value).map(([i, k, v]) => new Put(i, k, v))
const del = fc.tuple(n, key).map(([i, k]) => new Put(i, k, undefined))
const scan = fc
  .tuple(n, fc.option(fc.constantFrom('a', 'é', ''), { nil: undefined }), optKey, optKey, fc.boolean(), fc.option(fc.nat({ max: 4 }), { nil: undefined }))
  .map(([i, p, g, l, r, lim]) => new Scan(i, p, g, l, r, lim))
const commit = n.map((i) => new Commit(i))
const abort = n.map((i) => new Abort(i))
// Weighted by repetition: enough writes per transaction that commits contend.
const commands = [begin, begin, get, get, put, put, put, put, del, scan, scan, commit, commit, abort]

for (const backend of backends) {
  for (const level of ['snapshot', 'serializable'] as const) {
    describe(`model-based, ${backend.name}, '${level}'`, () => {
      it('every interleaving of transactions matches the serial model', async () => {
        await checkProperty(
          fc.asyncProperty(fc.commands(commands, { maxCommands: 50, size: 'max' }), async (cmds) => {
            const db = await backend.open(level)
            const model: Model = { level, states: [new Map<string, Value>()], writtenBy: [new Set()], txs: [] }
            try {
              await fc.asyncModelRun(() => ({ model, real: { db } }), cmds)
              // Garbage collection: once no transaction is open, one version per live key.
              for (const tx of model.txs) if (tx.open) await tx.real.abort()
              const stats = db.stats()
              expect(stats.versions).toBe(stats.keys)
              expect(stats.keys).toBe(model.states[model.states.length - 1]!.size)
              // The final committed state is the serial application of the commits in order.
              const final = await db.transaction((tx) => collect(tx.scan()), { readOnly: true })
              const expected = [...model.states[model.states.length - 1]!].sort(([a], [b]) => utf8Compare(a, b))
              expect(final).toEqual(expected)
            } finally {
              await db.close()
            }
          }),
          { numRuns: propertyRuns(150) },
        )
      })
    })
  }
}
