import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { EventStore, walBackend, type RecordedEvent } from '@quire/event-store'

/*
 * The WAL backend's open leaves events' data encoded and decodes it on first read, and keeps ids
 * as words (encoded-value.ts): every kind of value, and the id, reads back after a reopen as it
 * was appended, on the first read and on the next.
 */

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string().filter((k) => k !== '__proto__' && k !== '$date'), tie('value'), { maxKeys: 4 }),
  ),
})).value

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of iterable) out.push(e)
  return out
}

describe('walBackend reopen', () => {
  it('reads back every value and id as appended, first read and second', async () => {
    await checkProperty(
      fc.asyncProperty(fc.array(fc.tuple(value, fc.option(value, { nil: undefined })), { minLength: 1, maxLength: 20 }), async (values) => {
        const dir = await mkdtemp(join(tmpdir(), 'quire-es-reopen-'))
        dirs.push(dir)
        const appended: { id: string; data: unknown; metadata: unknown }[] = []
        {
          const store = await EventStore.open({ backend: walBackend(dir, { sync: 'none' }) })
          for (const [i, [data, metadata]] of values.entries()) {
            const id = randomUUID()
            try {
              await store.appendToStream(`s-${i % 3}`, { id, type: 'V', data, ...(metadata === undefined ? {} : { metadata }) })
              appended.push({ id, data, metadata })
            } catch (err) {
              // Only lone surrogates may be refused (msgpack cannot carry them).
              expect((err as { code?: string }).code).toBe('INVALID_ARGUMENT')
            }
          }
          await store.close()
        }
        const store = await EventStore.open({ backend: walBackend(dir, { sync: 'none' }) })
        for (let pass = 0; pass < 2; pass++) {
          const read = await collect(store.readAll())
          expect(read.map((e) => ({ id: e.id, data: e.data, metadata: e.metadata }))).toEqual(appended)
          for (const e of read) expect(Object.isFrozen(e.data) || typeof e.data !== 'object' || e.data === null).toBe(true)
        }
        await store.close()
        await rm(dir, { recursive: true, force: true })
      }),
      { numRuns: propertyRuns(25) },
    )
  })
})
