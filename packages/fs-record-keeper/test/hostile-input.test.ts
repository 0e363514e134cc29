import { arbHostile, checkProperty, fc, flipping, maybeHostile, refusedOrDone as hostileCall } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Depot, RecordKeeper } from '../src/index.js'

const DIR = '/store'
const CODES = ['INVALID_ARGUMENT', 'NOT_FOUND', 'EXISTS', 'NOT_WRITABLE', 'NOT_READABLE', 'OUT_OF_RANGE']
let counter = 1
const freshId = (): string => `00000000-0000-4000-8000-${(counter++).toString(16).padStart(12, '0')}`
const arbId = fc.oneof(arbHostile(), fc.constant(null).map(() => freshId()), fc.constantFrom('00000000-0000-4000-8000-00000000000G', '../../../../etc/passwd', 'A0000000-0000-4000-8000-000000000000'))

describe('hostile input: a typed error before anything is written, and the stores still work', () => {
  const sim = new SimFileSystem()
  let rk: RecordKeeper
  let depot: Depot
  const valid = { id: '', size: 8 }
  beforeAll(async () => {
    rk = await RecordKeeper.open(DIR, { fs: sim })
    depot = await Depot.open(DIR, { fs: sim })
    valid.id = freshId()
    await depot.reserve(valid.id, valid.size)
  })
  afterAll(async () => {
    await rk.close()
    await depot.close()
  })

  const refusedOrDone = (call: () => Promise<unknown>): Promise<'refused' | 'done'> =>
    hostileCall({ fs: sim, dir: DIR, codes: CODES, stillWorks: async () => {
      const id = freshId()
      await rk.add({ id, ok: true })
      expect(await rk.read(id)).toEqual({ id, ok: true })
    } }, call)

  it('RecordKeeper.add(event): refused, or read back as added', async () => {
    await checkProperty(
      fc.asyncProperty(fc.oneof(arbHostile(), fc.record({ id: arbId, data: fc.oneof(fc.jsonValue({ maxDepth: 2 }), arbHostile()) })), async (event) => {
        const copy = plainCopy(event)
        const outcome = await refusedOrDone(() => rk.add(event as never))
        if (outcome === 'done' && copy !== undefined) expect(await rk.read((event as { id: string }).id)).toEqual(copy)
      }),
      { numRuns: 150 },
    )
  })

  it('RecordKeeper read/exists/next/events with hostile ids', async () => {
    await checkProperty(
      fc.asyncProperty(arbId, async (id) => {
        await refusedOrDone(() => rk.read(id as string))
        await refusedOrDone(() => rk.exists(id as string))
        await refusedOrDone(() => rk.next(id as string))
        await refusedOrDone(async () => {
          for await (const _ of rk.events({ after: id as string })) break
        })
      }),
      { numRuns: 40 },
    )
  })

  it('Depot reserve/write/read/finalize/purge/state with hostile ids, sizes, offsets and bytes', async () => {
    await checkProperty(
      fc.asyncProperty(arbId, maybeHostile(fc.nat(64)), maybeHostile(fc.uint8Array({ maxLength: 8 })), async (id, n, bytes) => {
        await refusedOrDone(() => depot.reserve(id as string, n as number))
        await refusedOrDone(() => depot.write(valid.id, n as number, bytes as Uint8Array))
        await refusedOrDone(() => depot.write(id as string, 0, new Uint8Array(1)))
        await refusedOrDone(() => depot.read(id as string, 0, n as number))
        await refusedOrDone(() => depot.state(id as string))
        await refusedOrDone(() => depot.finalize(id as string))
        await refusedOrDone(() => depot.purge(id as string))
      }),
      { numRuns: 40 },
    )
  })

  it('a getter that changes its answer: the event stored is refused typed, or one that reads back whole', async () => {
    const id = freshId()
    await refusedOrDone(async () => {
      await rk.add(flipping({ id, a: 1 }, 'b', 'checked', 10n))
      expect([{ id, a: 1, b: 'checked' }]).toContainEqual(await rk.read(id))
    })
  })
})

/** A deep copy by JSON when the value answers the same twice, else undefined. */
function plainCopy(value: unknown): unknown {
  try {
    const a = JSON.stringify(value)
    return a === JSON.stringify(value) && a !== undefined ? JSON.parse(a) : undefined
  } catch {
    return undefined
  }
}
