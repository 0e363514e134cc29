import { arbHostile, checkProperty, diskState, fc, flipping, isTypedError, prototypePolluted } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NdjsonLog } from '../src/index.js'

const DIR = '/logs'
const PATH = `${DIR}/app.ndjson`
const CODES = ['INVALID_RECORD', 'INVALID_ARGUMENT']
/** A record: an object whose values may be hostile. */
const arbRecord = fc.oneof(arbHostile(), fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'rec', 'seq')), fc.oneof(fc.jsonValue({ maxDepth: 2 }), arbHostile()), { maxKeys: 4 }))

describe('hostile input: a typed error before anything is written, and the log still works', () => {
  const sim = new SimFileSystem()
  let log: NdjsonLog
  beforeAll(async () => {
    log = await NdjsonLog.open(PATH, { fs: sim })
    await log.append({ first: true })
  })
  afterAll(async () => {
    await log.close()
  })

  /** A refusal must be typed and leave the disk as it was; what is written reads back as JSON keeps it; then a valid append works. */
  async function refusedOrWritten(call: () => Promise<unknown>): Promise<void> {
    const before = await diskState(sim, DIR)
    const lastSeq = log.lastSeq
    try {
      await call()
    } catch (err) {
      expect(isTypedError(err, CODES), String(err)).toBe(true)
      expect(await diskState(sim, DIR)).toEqual(before)
      expect(log.lastSeq).toBe(lastSeq)
    }
    expect(prototypePolluted()).toBe(false)
    expect((await log.append({ after: 1 })).seq).toBe(log.lastSeq)
  }

  /** What `read` gives back for `seq`. */
  async function readBack(seq: number): Promise<unknown> {
    for await (const e of log.read({ fromSeq: seq })) return e.record
    return undefined
  }

  it('append(record): refused, or read back exactly as JSON keeps it', async () => {
    await checkProperty(
      fc.asyncProperty(arbRecord, async (record) => {
        // What JSON keeps of a record that answers the same twice (getters that flip are below).
        const once = stableJson(record)
        await refusedOrWritten(async () => {
          const entry = await log.append(record as never)
          if (once !== undefined && once === stableJson(record)) expect(await readBack(entry.seq)).toEqual(JSON.parse(once))
        })
      }),
      { numRuns: 150 },
    )
  })

  it('appendBatch(records) with hostile arrays and records', async () => {
    await checkProperty(
      fc.asyncProperty(fc.oneof(arbHostile(), fc.array(arbRecord, { maxLength: 4 })), async (records) => {
        await refusedOrWritten(() => log.appendBatch(records as never))
      }),
      { numRuns: 150 },
    )
  })

  it('read({ fromSeq }) with hostile numbers', async () => {
    await checkProperty(
      fc.asyncProperty(arbHostile(), async (n) => {
        await refusedOrWritten(async () => {
          for await (const _ of log.read({ fromSeq: n as number })) break
          expect(n === undefined || n === null || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)).toBe(true)
        })
      }),
      { numRuns: 100 },
    )
  })

  it('a getter that changes its answer: refused typed, or a record JSON keeps (open: not always the answer that was checked)', async () => {
    for (const then of [10n, undefined, () => 1, Symbol('s')]) {
      await refusedOrWritten(async () => {
        const [entry] = await log.appendBatch([flipping({ a: 1 }, 'b', 'checked', then)])
        expect([{ a: 1, b: 'checked' }, { a: 1 }]).toContainEqual(await readBack(entry!.seq))
      })
    }
  })

  it('arrays changed after the call: the log holds what was passed', async () => {    const record = { items: [1, 2] }
    const records = [record]
    const written = log.appendBatch(records)
    record.items.push(3)
    records.push({ items: [9] })
    const [first] = await written
    expect(await readBack(first!.seq)).toEqual({ items: [1, 2] })
    expect(log.lastSeq).toBe(first!.seq)
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
