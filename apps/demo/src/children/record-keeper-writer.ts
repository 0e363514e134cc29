// The writer of the 'record-keeper' demo scenario: opens the RecordKeeper and the Depot in <dir>
// (recovering both), then forever adds bursts of ledger events (1..32 concurrent adds, grouped by
// the record keeper) and stores receipt objects in the depot. The parent SIGKILLs it at random.
//
// Usage: record-keeper-writer.ts <dir>
// Output: `start <events> <orphans removed> <tail repaired 0|1>`, then `ack <event id>` once an
// add resolved and `obj <object id>` once a finalize resolved.
import { randomUUID } from 'node:crypto'
import { Depot, RecordKeeper } from '@quire/fs-record-keeper'
import { receiptBytes } from '../scenarios/50-record-keeper.js'

const [dir] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: record-keeper-writer.ts <dir>')
const say = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

const rk = await RecordKeeper.open(dir)
const depot = await Depot.open(dir)
const { events, orphansRemoved, tailRepaired } = rk.recovery
say(`start ${events} ${orphansRemoved} ${tailRepaired ? 1 : 0}`)

const ACCOUNTS = ['alice', 'bob', 'carol', 'dave']

async function addEvents(): Promise<void> {
  for (let burst = 0; ; burst++) {
    const size = 1 + ((burst * 7) % 32)
    const adds = Array.from({ length: size }, (_, i) => {
      const event = {
        id: randomUUID(),
        type: 'TransferMade',
        from: ACCOUNTS[(burst + i) % ACCOUNTS.length]!,
        to: ACCOUNTS[(burst + i + 1) % ACCOUNTS.length]!,
        amountCents: 100 + ((burst * 31 + i * 17) % 10_000),
        at: new Date(),
      }
      return rk.add(event).then(() => say(`ack ${event.id}`))
    })
    await Promise.all(adds)
  }
}

async function storeReceipts(): Promise<void> {
  for (;;) {
    const id = randomUUID()
    const bytes = receiptBytes(id)
    await depot.reserve(id, bytes.byteLength)
    // Written in two halves, back half first: only finalize makes an object readable.
    const half = Math.floor(bytes.byteLength / 2)
    await depot.write(id, half, bytes.subarray(half))
    await depot.write(id, 0, bytes.subarray(0, half))
    await depot.finalize(id)
    say(`obj ${id}`)
  }
}

await Promise.all([addEvents(), storeReceipts()])
