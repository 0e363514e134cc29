// Child of the snapshots scenario: two bank ledgers, each folded from a deterministic stream of
// transfers, snapshotted after every transfer into a @quire/snapshots store on the real file system
// until it is SIGKILLed. Resumes each ledger from its newest valid snapshot. Prints
// "start <key> <position>" once a ledger is loaded, then "ack <key> <position>" per acknowledged save.
import { SnapshotStore } from '@quire/snapshots'
import { LEDGER_KEYS, initialLedger, applyTransfer, type Ledger } from './snapshots-ledger.js'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: snapshots-writer.ts <dir>')

const store = await SnapshotStore.open(dir, { keep: 2 })

async function run(key: string): Promise<never> {
  const snapshot = await store.load(key, { schemaVersion: 1 })
  let ledger = snapshot === undefined ? initialLedger() : (snapshot.state as Ledger)
  let position = snapshot?.position ?? 0
  process.stdout.write(`start ${key} ${position}\n`)
  for (;;) {
    position++
    ledger = applyTransfer(ledger, key, position)
    await store.save(key, { position, state: ledger, schemaVersion: 1 })
    process.stdout.write(`ack ${key} ${position}\n`)
  }
}
await Promise.all(LEDGER_KEYS.map(run))
