import { describe, expect, it } from 'vitest'
import { jsonCodec } from '@quire/codec'
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, crashDuringRecovery, fc, propertyRuns, settle } from '@quire/test-kit'
import { NdjsonLog, type LogRecord, type NdjsonLogOptions } from '@quire/ndjson-log'
import { isValidNdjson, LOG, recTexts } from './helpers.js'

/** One operation of a workload: a single append or a batch. */
type Op = { kind: 'append'; rec: LogRecord } | { kind: 'batch'; recs: LogRecord[] }

const arbPayload: fc.Arbitrary<LogRecord> = fc.record({
  text: fc.string({ maxLength: 40, unit: 'binary' }),
  // -0 is stored as 0 (JSON has no -0), so the model uses 0.
  n: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x))),
  at: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4102444800000) }),
  pad: fc.string({ maxLength: 1200 }),
})

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: arbPayload.map((rec): Op => ({ kind: 'append', rec })) },
  { weight: 1, arbitrary: fc.array(arbPayload, { minLength: 2, maxLength: 5 }).map((recs): Op => ({ kind: 'batch', recs })) },
)

/** Waves of concurrent operations; a wave starts once the previous one settled. */
const arbWorkload = fc.array(fc.array(arbOp, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 })

interface Issued {
  /** Every record in the order it was issued, tagged with its transaction. */
  readonly records: { id: number; tx: number; rec: LogRecord }[]
  /** Ids of records whose append resolved. */
  readonly acked: Set<number>
}

/** Runs the workload; records carry `id` so what comes back can be matched with what was issued. */
async function runWorkload(log: NdjsonLog, waves: Op[][]): Promise<Issued> {
  const records: Issued['records'] = []
  const acked = new Set<number>()
  let tx = 0
  for (const wave of waves) {
    const promises: Promise<unknown>[] = []
    for (const op of wave) {
      tx++
      if (op.kind === 'append') {
        const id = records.length
        const rec = { id, ...op.rec }
        records.push({ id, tx, rec })
        promises.push(log.append(rec).then(() => acked.add(id)))
      } else {
        const ids: number[] = []
        const recs = op.recs.map((r) => {
          const id = records.length
          ids.push(id)
          const rec = { id, ...r }
          records.push({ id, tx, rec })
          return rec
        })
        promises.push(log.appendBatch(recs).then(() => ids.forEach((id) => acked.add(id))))
      }
    }
    const { rejected } = await settle(promises)
    if (rejected.length > 0) break
  }
  return { records, acked }
}

/** What recovery yields: the records read and the file's bytes afterwards. */
async function recoverState(fs: FileSystem, opts: NdjsonLogOptions): Promise<{ entries: { seq: number; record: LogRecord }[]; files: string[] }> {
  const log = await NdjsonLog.open(LOG, { ...opts, fs })
  const entries: { seq: number; record: LogRecord }[] = []
  for await (const e of log.read()) entries.push({ seq: e.seq, record: e.record })
  await log.close()
  const files: string[] = []
  for (const name of await fs.readdir('/db')) {
    if (name.endsWith('.ndjson')) files.push(`${name}\n${Buffer.from(await fs.readFile(`/db/${name}`)).toString('utf8')}`)
  }
  return { entries, files }
}

async function checkImage(image: SimFileSystem, issued: Issued, opts: NdjsonLogOptions): Promise<void> {
  const { entries, files } = await recoverState(image.clone(), opts)
  // Nothing invented, order kept: what is there is a prefix of what was issued...
  const ids = entries.map((e) => e.record.id as number)
  expect(ids).toEqual(issued.records.slice(0, ids.length).map((r) => r.id))
  expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1))
  // ...ending at a transaction boundary (batches are all or nothing)...
  const next = issued.records[ids.length]
  if (ids.length > 0 && next !== undefined) expect(next.tx).not.toBe(issued.records[ids.length - 1]!.tx)
  // ...holding everything acknowledged, with the values issued.
  for (const id of issued.acked) expect(id).toBeLessThan(ids.length)
  for (const e of entries) expect(e.record).toEqual(issued.records[e.record.id as number]!.rec)
  // Byte-identical: each record's JSON on disk is exactly what the codec made of it.
  const texts = new Map<number, string>()
  for (const f of files) for (const [seq, t] of recTexts(f)) texts.set(seq, t)
  for (const e of entries) expect(texts.get(e.seq)).toBe(jsonCodec.stringify(issued.records[e.record.id as number]!.rec))
  // The files are valid NDJSON after recovery.
  for (const f of files) expect(isValidNdjson(f.slice(f.indexOf('\n') + 1))).toBe(true)
}

async function checkCrash(
  pessimistic: boolean,
  opts: NdjsonLogOptions,
  waves: Op[][],
  haltAfter: number,
  seed: number,
  recoveryHalt: number,
  recoverySeed: number,
): Promise<void> {
  const sim = new SimFileSystem({ pessimistic })
  const log = await NdjsonLog.open(LOG, { ...opts, fs: sim })
  sim.haltAfter(haltAfter)
  const issued = await runWorkload(log, waves)
  // Several images of the same moment: the simulator picks what survives by seed.
  const images = [0, 1, 2, 3].map((k) => sim.crash(seed + k))
  for (const image of images) await checkImage(image, issued, opts)
  const image = images[0]!
  const { entries } = await recoverState(image.clone(), opts)

  // Recovery is idempotent, even when it is itself interrupted by a crash.
  const { once, twice } = await crashDuringRecovery(image, (fs) => recoverState(fs, opts), {
    seed: recoverySeed,
    haltAfterOps: recoveryHalt,
  })
  expect(twice).toEqual(once)
  expect(once.entries).toEqual(entries)

  // Progress: the recovered log takes appends and continues the sequence.
  const after = image.clone()
  const again = await NdjsonLog.open(LOG, { ...opts, fs: after })
  expect(again.lastSeq).toBe(entries.length)
  expect((await again.append({ id: -1 })).seq).toBe(entries.length + 1)
  await again.close()
}

for (const pessimistic of [false, true]) {
  const mode = pessimistic ? 'pessimistic' : 'normal'
  describe(`crash properties on the simulator (${mode} mode)`, () => {
    // Halt points cover the workload's operations (about two per wave, more with rotation).
    for (const [name, opts, maxHalt] of [
      ['one file, free space preallocated', { preallocateBytes: 1500 }, 16],
      ['one file, no preallocation', { preallocateBytes: 0 }, 16],
      ['rotating files', { maxFileBytes: 2048 }, 40],
    ] as [string, NdjsonLogOptions, number][]) {
      it(`acknowledged records survive byte-identical, batches are atomic, nothing is invented, recovery is idempotent (${name})`, async () => {
        await checkProperty(
          fc.asyncProperty(
            arbWorkload,
            fc.integer({ min: 0, max: maxHalt }),
            arbSeed(),
            fc.integer({ min: 0, max: 40 }),
            arbSeed(),
            async (waves, haltAfter, seed, recoveryHalt, recoverySeed) => {
              await checkCrash(pessimistic, opts, waves, haltAfter, seed, recoveryHalt, recoverySeed)
            },
          ),
          { numRuns: propertyRuns(60) },
        )
      })
    }
  })
}

describe('the seed example: a bank transfer', () => {
  const accounts = ['A', 'B', 'C', 'D']
  type Event = { type: 'Opened' | 'Debited' | 'Credited'; account: string; amount: number; transfer?: number }

  /** Balances from the events read back; throws if a transfer is half there. */
  function audit(events: Event[]): { balances: Map<string, number>; transfers: number } {
    const balances = new Map<string, number>()
    const legs = new Map<number, string[]>()
    for (const e of events) {
      const sign = e.type === 'Debited' ? -1 : 1
      balances.set(e.account, (balances.get(e.account) ?? 0) + sign * e.amount)
      if (e.transfer !== undefined) legs.set(e.transfer, [...(legs.get(e.transfer) ?? []), e.type])
    }
    for (const [id, types] of legs) expect(types, `transfer ${id}`).toEqual(['Debited', 'Credited'])
    return { balances, transfers: legs.size }
  }

  async function bank(sim: SimFileSystem, transfers: [number, number, number][]): Promise<number> {
    const log = await NdjsonLog.open<Event>(LOG, { fs: sim, preallocateBytes: 600 })
    await log.appendBatch(accounts.map((account) => ({ type: 'Opened' as const, account, amount: 1000 })))
    const acked = await settle(
      transfers.map(([from, to, amount], i) =>
        log.appendBatch([
          { type: 'Debited', account: accounts[from]!, amount, transfer: i },
          { type: 'Credited', account: accounts[to]!, amount, transfer: i },
        ]),
      ),
    )
    return acked.fulfilled.length
  }

  /** Reopens the image: every acknowledged transfer is whole, and the money adds up. */
  async function expectBankIntact(image: SimFileSystem, acked: number): Promise<void> {
    const log = await NdjsonLog.open<Event>(LOG, { fs: image })
    const events: Event[] = []
    for await (const e of log.read()) events.push(e.record)
    await log.close()
    const { balances, transfers: complete } = audit(events)
    expect(complete).toBeGreaterThanOrEqual(acked)
    expect([...balances.values()].reduce((a, b) => a + b, 0)).toBe(events.length === 0 ? 0 : 4000)
  }

  it('never leaves a debit without its credit, at any crash point (every op, every image of small runs)', async () => {
    const transfers: [number, number, number][] = [
      [0, 1, 50],
      [1, 2, 70],
      [2, 3, 20],
      [3, 0, 5],
    ]
    // How many operations the whole workload takes, to crash at every one of them.
    const probe = new SimFileSystem()
    const start = probe.opCount
    await bank(probe, transfers)
    const totalOps = probe.opCount - start
    let images = 0
    for (let halt = 0; halt <= totalOps; halt++) {
      const sim = new SimFileSystem({ pessimistic: halt % 2 === 1 })
      sim.haltAfter(halt)
      const acked = await bank(sim, transfers).catch(() => 0)
      for (const image of [...sim.crashImages({ max: 40 }), sim.crash(halt)]) {
        images++
        await expectBankIntact(image, acked)
      }
    }
    expect(images).toBeGreaterThan(totalOps)
  })

  it('property: random transfers, random crash points', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.integer({ min: 1, max: 100 })), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 60 }),
        arbSeed(),
        fc.boolean(),
        async (transfers, halt, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic })
          sim.haltAfter(halt)
          const acked = await bank(sim, transfers).catch(() => 0)
          await expectBankIntact(sim.crash(seed), acked)
        },
      ),
      { numRuns: propertyRuns(100) },
    )
  })
})
