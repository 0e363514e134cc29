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
