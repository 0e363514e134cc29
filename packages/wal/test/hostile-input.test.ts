import { arbHostile, checkProperty, diskState, fc, flipping, isTypedError, maybeHostile, prototypePolluted } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'

const DIR = '/wal'
const CODES = ['INVALID_ARGUMENT']
const bytes = fc.uint8Array({ maxLength: 16 })
const arbOp = fc.record({ op: fc.constantFrom<unknown>('put', 'delete'), key: maybeHostile(bytes), value: maybeHostile(bytes) })

describe('hostile input: a typed error before anything is written, and the log still works', () => {
  const sim = new SimFileSystem()
  let wal: Wal
  beforeAll(async () => {
    wal = await Wal.open(DIR, { fs: sim })
    await wal.append({ op: 'put', key: new Uint8Array([1]), value: new Uint8Array([1]) })
  })
  afterAll(async () => {
    await wal.close()
  })

  /** Runs `call`; a refusal must be typed and leave the disk as it was; then a valid append works. */
  async function refusedOrWritten(call: () => Promise<unknown>): Promise<'refused' | 'written'> {
    const before = await diskState(sim, DIR)
    const lastSeq = wal.lastSeq
    let outcome: 'refused' | 'written' = 'written'
    try {
      await call()
    } catch (err) {
      expect(isTypedError(err, CODES), String(err)).toBe(true)
      expect(await diskState(sim, DIR)).toEqual(before)
      expect(wal.lastSeq).toBe(lastSeq)
      outcome = 'refused'
    }
    expect(prototypePolluted()).toBe(false)
    const next = await wal.append({ op: 'put', key: new Uint8Array([2]), value: new Uint8Array([2]) })
    expect(next.seq).toBe(wal.lastSeq)
    return outcome
  }

  it('append(op) with hostile operations', async () => {
    await checkProperty(
      fc.asyncProperty(fc.oneof(arbHostile(), arbOp), async (op) => {
        await refusedOrWritten(() => wal.append(op as never))
      }),
      { numRuns: 150 },
    )
  })

  it('appendBatch(ops) with hostile batches and hostile operations inside', async () => {
    await checkProperty(
      fc.asyncProperty(fc.oneof(arbHostile(), fc.array(fc.oneof(arbOp, arbHostile()), { maxLength: 4 })), async (ops) => {
        await refusedOrWritten(() => wal.appendBatch(ops as never))
      }),
      { numRuns: 150 },
    )
  })

  it('truncateBefore(seq) and replay({ fromSeq }) with hostile numbers', async () => {
    await checkProperty(
      fc.asyncProperty(arbHostile(), async (n) => {
        const outcome = await refusedOrWritten(async () => {
          for await (const _ of wal.replay({ fromSeq: n as number })) break
        })
        if (outcome === 'written') expect(n === undefined || n === null || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)).toBe(true)
        await refusedOrWritten(() => wal.truncateBefore(n as number).then(() => expect(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0).toBe(true)))
      }),
      { numRuns: 150 },
    )
  })

  it('a getter that changes its answer: what is written is what was checked', async () => {
    const valid = new Uint8Array([7, 7])
    const op = flipping({ op: 'put', value: valid }, 'key', new Uint8Array([9]), 'not bytes')
    const entry = await wal.append(op as never)
    let found: Uint8Array | undefined
    for await (const e of wal.replay({ fromSeq: entry.seq })) found = e.key
    expect(found).toEqual(new Uint8Array([9]))
  })

  it('arrays and buffers changed after the call: the log holds what was passed', async () => {
    const key = new Uint8Array([1, 2, 3])
    const value = new Uint8Array([4, 5, 6])
    const ops: { op: 'put'; key: Uint8Array; value: Uint8Array }[] = [{ op: 'put', key, value }]
    const written = wal.appendBatch(ops)
    key.fill(0)
    value.fill(0)
    ops.push({ op: 'put', key: new Uint8Array([8]), value: new Uint8Array([8]) })
    const [entry] = await written
    const replayed: { key: Uint8Array; value: Uint8Array | null }[] = []
    for await (const e of wal.replay({ fromSeq: entry!.seq })) replayed.push({ key: e.key.slice(), value: e.value?.slice() ?? null })
    expect(replayed).toEqual([{ key: new Uint8Array([1, 2, 3]), value: new Uint8Array([4, 5, 6]) }])
  })
})
