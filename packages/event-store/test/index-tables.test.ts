import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { uuidToWords, wordsToUuid } from '../src/event-id.js'
import { IdTable } from '../src/local/id-table.js'
import { StreamTable } from '../src/local/stream-table.js'

/* The LocalIndex's hash tables against a Map, through their growth (rehashes) and collisions. */

describe('IdTable', () => {
  it('finds every id it added at its position, refuses a repeat, and finds nothing else', async () => {
    // Few distinct digits, so that many ids share words and probes run into each other.
    const hex = fc.constantFrom(...'0f1a'.split(''))
    const id = fc.array(hex, { minLength: 32, maxLength: 32 }).map((d) => {
      const t = d.join('')
      return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`
    })
    await checkProperty(
      fc.property(fc.array(fc.oneof(id, fc.uuid()), { maxLength: 3000 }), fc.array(fc.uuid(), { maxLength: 20 }), (ids, others) => {
        const table = new IdTable()
        const model = new Map<string, number>()
        for (const raw of ids) {
          const i = raw.toLowerCase()
          expect(table.add(i)).toBe(!model.has(i))
          if (!model.has(i)) model.set(i, model.size + 1)
        }
        expect(table.count).toBe(model.size)
        for (const [i, position] of model) {
          expect(table.find(i)).toBe(position)
          expect(table.idAt(position)).toBe(i)
        }
        for (const o of others) expect(table.find(o.toLowerCase())).toBe(model.get(o.toLowerCase()) ?? 0)
        expect(table.find('not-a-uuid')).toBe(0)
        expect(table.add('not-a-uuid')).toBe(false)
      }),
      { numRuns: propertyRuns(40) },
    )
  })

  it('built at once after addDeferred (replay), finds what add would, and names a repeat', async () => {
    const hex = fc.constantFrom(...'0f1a'.split(''))
    const id = fc.array(hex, { minLength: 32, maxLength: 32 }).map((d) => {
      const t = d.join('')
      return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`
    })
    await checkProperty(
      // Ids drawn from a small pool too, so that some runs repeat one.
      fc.property(fc.array(fc.oneof(id, fc.uuid(), fc.nat(40).map((n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`)), { maxLength: 6000 }), fc.nat(), fc.array(fc.uuid(), { maxLength: 20 }), (raw, reserved, later) => {
        const ids = raw.map((i) => i.toLowerCase())
        const table = new IdTable()
        table.reserve(reserved % 10_000)
        for (const i of ids) expect(table.addDeferred(i)).toBe(true)
        const first = new Map<string, number>()
        let repeat = 0
        ids.forEach((i, k) => {
          if (first.has(i)) repeat ||= k + 1
          else first.set(i, k + 1)
        })
        const found = table.buildDeferred()
        if (repeat !== 0) {
          // Some repeat is named (its later position), not necessarily the first in log order.
          expect(found).toBeGreaterThan(0)
          expect(first.get(ids[found - 1]!)).toBeLessThan(found)
          return
        }
        expect(found).toBe(0)
        for (const [i, position] of first) expect(table.find(i)).toBe(position)
        for (const l of later) {
          const i = l.toLowerCase()
          expect(table.add(i)).toBe(!first.has(i))
          if (!first.has(i)) first.set(i, first.size + 1)
        }
        for (const [i, position] of first) expect(table.find(i)).toBe(position)
      }),
      { numRuns: propertyRuns(40) },
    )
  })

  it('turns a UUID into words and back', async () => {
    await checkProperty(
      fc.property(fc.uuid(), (u) => {
        const words = new Uint32Array(6)
        expect(uuidToWords(u, words, 1)).toBe(true)
        expect(wordsToUuid(words, 1)).toBe(u.toLowerCase())
      }),
      { numRuns: propertyRuns(300) },
    )
  })
})

describe('growth', () => {
  // The properties above draw small arrays (fast to shrink); these grow the tables many times over.
  const ids = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` : randomUUID()))

  it('IdTable: added one by one', () => {
    const table = new IdTable()
    for (const id of ids) expect(table.add(id)).toBe(true)
    ids.forEach((id, i) => expect(table.find(id)).toBe(i + 1))
    expect(table.add(ids[123]!)).toBe(false)
  })

  it('IdTable: added deferred, built at once, then one by one', () => {
    const table = new IdTable()
    for (const id of ids.slice(0, 15_000)) table.addDeferred(id)
    expect(table.buildDeferred()).toBe(0)
    for (const id of ids.slice(15_000)) expect(table.add(id)).toBe(true)
    ids.forEach((id, i) => expect(table.find(id)).toBe(i + 1))
    const again = new IdTable()
    for (const id of [...ids.slice(0, 9_000), ids[4_321]!]) again.addDeferred(id)
    expect(again.buildDeferred()).toBe(9_001)
  })

  it('StreamTable', () => {
    const table = new StreamTable<{ readonly name: string }>()
    const entries = Array.from({ length: 20_000 }, (_, i) => ({ name: `acct-${i}` }))
    for (const e of entries) table.add(e)
    for (const e of entries) expect(table.get(e.name)).toBe(e)
    expect(table.get('acct-20000')).toBeUndefined()
  })
})

describe('StreamTable', () => {
  it('holds what a Map holds, through growth', async () => {
    const name = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.nat(5000).map((n) => `acct-${n}`))
    await checkProperty(
      fc.property(fc.array(name, { maxLength: 3000 }), fc.array(name, { maxLength: 50 }), (names, lookups) => {
        const table = new StreamTable<{ readonly name: string; readonly n: number }>()
        const model = new Map<string, { readonly name: string; readonly n: number }>()
        for (const n of names) {
          if (table.get(n) !== model.get(n)) throw new Error(`lookup of ${JSON.stringify(n)} differs`)
          if (!model.has(n)) {
            const entry = { name: n, n: model.size }
            model.set(n, entry)
            table.add(entry)
          }
        }
        expect(table.size).toBe(model.size)
        for (const n of [...names, ...lookups]) expect(table.get(n)).toBe(model.get(n))
      }),
      { numRuns: propertyRuns(40) },
    )
  })
})
