// Scans across many index chunks (the index is read 256 keys at a time), merged with the
// transaction's own puts and deletes, forward and reverse, with bounds and limits, against a
// sorted-array model.
import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { memoryDb, collect } from './helpers.js'

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 999 }).map((n) => `k${String(n).padStart(3, '0')}`),
  fc.constantFrom('k\uFFFF', 'k😀', 'kä', 'j', 'l'),
)

describe('scan', () => {
  it('the first scan of a store (the ordered index built then) is in UTF-8 order, astral and U+FFFF keys included', async () => {
    const db = memoryDb('snapshot')
    // Committed before any scan, in an order that is neither UTF-8 nor UTF-16 order.
    const keys = ['k😀', 'a', 'k\uFFFF', 'kä', 'z', '\uE000', '😀', ...Array.from({ length: 300 }, (_, i) => `m${i}`)]
    await db.transaction(async (tx) => {
      for (const k of keys) await tx.put(k, 1)
    })
    const scanned = (await collect(db.begin({ readOnly: true }).scan())).map(([k]) => k)
    expect(scanned).toEqual([...keys].sort(utf8Compare))
    await db.close()
  })

  it('matches a sorted model across chunk boundaries, with own writes, bounds, reverse and limit', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { minLength: 0, maxLength: 700, size: 'max' }),
        fc.array(fc.tuple(keyArb, fc.option(fc.nat(), { nil: undefined })), { maxLength: 60, size: 'max' }),
        fc.record({
          gte: fc.option(keyArb, { nil: undefined }),
          lt: fc.option(keyArb, { nil: undefined }),
          prefix: fc.option(fc.constantFrom('k', 'k1', 'k9', 'j', ''), { nil: undefined }),
          reverse: fc.boolean(),
          limit: fc.option(fc.nat({ max: 800 }), { nil: undefined }),
        }),
        async (committed, own, options) => {
          const db = memoryDb('snapshot')
          await db.transaction(async (tx) => {
            for (const k of committed) await tx.put(k, `c:${k}`)
          })
          const model = new Map<string, unknown>(committed.map((k) => [k, `c:${k}`]))
          const tx = db.begin()
          for (const [k, v] of own) {
            if (v === undefined) {
              await tx.delete(k)
              model.delete(k)
            } else {
              await tx.put(k, v)
              model.set(k, v)
            }
          }
          const scanOptions = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
          let expected = [...model]
            .filter(
              ([k]) =>
                (options.gte === undefined || utf8Compare(k, options.gte) >= 0) &&
                (options.lt === undefined || utf8Compare(k, options.lt) < 0) &&
                (options.prefix === undefined || k.startsWith(options.prefix)),
            )
            .sort(([a], [b]) => utf8Compare(a, b))
          if (options.reverse) expected.reverse()
          if (options.limit !== undefined) expected = expected.slice(0, options.limit)
          expect(await collect(tx.scan(scanOptions))).toEqual(expected)
          await db.close()
        },
      ),
      { numRuns: propertyRuns(100) },
    )
  })
})
