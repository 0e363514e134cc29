import { arbHostile, checkProperty, fc, flipping, maybeHostile, refusedOrDone as hostileCall } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'

const DIR = '/db'
const CODES = ['INVALID_ARGUMENT', 'READ_ONLY', 'TX_CLOSED']
const arbKey = fc.oneof(fc.string({ maxLength: 8 }), arbHostile(), fc.constantFrom('a\uD800', '\u0000', '__proto__', 'x'.repeat(2000)))
const arbValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), arbHostile(), fc.uint8Array({ maxLength: 8 }))

describe('hostile input: a typed error before anything is written, and the store still works', () => {
  const sim = new SimFileSystem()
  let db: MvccStore
  beforeAll(async () => {
    db = await MvccStore.open(DIR, { fs: sim })
  })
  afterAll(async () => {
    await db.close()
  })

  const refusedOrDone = (call: () => Promise<unknown>): Promise<'refused' | 'done'> =>
    hostileCall({ fs: sim, dir: DIR, codes: CODES, stillWorks: async () => {
      await db.transaction(async (tx) => tx.put('valid', 1))
    } }, call)

  it('put(key, value) then commit: refused (and the transaction still usable), or read back equal', async () => {
    await checkProperty(
      fc.asyncProperty(arbKey, arbValue, async (key, value) => {
        // What a value that answers the same twice must read back as (getters that flip: below).
        const once = value instanceof Uint8Array ? undefined : stableJson(value)
        const stable = value instanceof Uint8Array || (once !== undefined && once === stableJson(value))
        const tx = db.begin()
        const outcome = await refusedOrDone(() => tx.put(key as string, value))
        if (outcome === 'refused') {
          await tx.put('still-usable', 1)
          await tx.abort()
          return
        }
        await tx.commit()
        const got = await db.transaction(async (t) => t.get(key as string), { readOnly: true })
        if (!stable) return
        const expected = value instanceof Uint8Array ? value : (JSON.parse(once!) as unknown)
        expect(got instanceof Uint8Array ? new Uint8Array(got) : got).toEqual(expected)
      }),
      { numRuns: 150 },
    )
  })

  it('get, delete, scan, begin and transaction with hostile arguments', async () => {
    await checkProperty(
      // Hostile values inside the options; a hostile options object itself is issue 14's side.
      fc.asyncProperty(arbKey, fc.oneof(fc.constantFrom(undefined, {}), fc.record({ prefix: maybeHostile(fc.string()), gte: maybeHostile(fc.string()), lt: maybeHostile(fc.string()), limit: maybeHostile(fc.nat(5)), reverse: maybeHostile(fc.boolean()) }, { requiredKeys: [] })), async (key, scan) => {
        await refusedOrDone(() => db.transaction(async (tx) => tx.get(key as string), { readOnly: true }))
        await refusedOrDone(() => db.transaction(async (tx) => tx.delete(key as string)))
        await refusedOrDone(() =>
          db.transaction(async (tx) => {
            for await (const _ of tx.scan(scan as never)) break
          }),
        )
        await refusedOrDone(async () => {
          db.begin(scan as never)
        })
        await refusedOrDone(() => db.transaction(key as never))
      }),
      { numRuns: 100 },
    )
  })

  it('a getter that changes its answer: refused typed, or a value that reads back whole (open: msgpack may store the second answer)', async () => {
    await refusedOrDone(() =>
      db.transaction(async (tx) => {
        await tx.put('flip', flipping({ a: 1 }, 'b', 'checked', 10n))
      }),
    )
    const got = await db.transaction(async (tx) => tx.get('flip'), { readOnly: true })
    expect([undefined, { a: 1, b: 'checked' }, { a: 1, b: 10n }]).toContainEqual(got)
  })

  it('a value array changed after put: the commit holds what was passed', async () => {
    const value = new Uint8Array([1, 2, 3])
    await db.transaction(async (tx) => {
      await tx.put('bytes', value)
      value.fill(9)
    })
    const got = await db.transaction(async (tx) => tx.get('bytes'), { readOnly: true })
    expect(new Uint8Array(got as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]))
  })
})

/** `JSON.stringify(value)`, or undefined when that throws. */
function stableJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}
