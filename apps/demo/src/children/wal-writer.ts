// Child of the wal scenario: a bank ledger appending to a @quire/wal log through the real file
// system until it is SIGKILLed. Transfers are batches (debit + credit); deposits are single
// entries. Prints "start <lastSeq>" once open, then "ack <tx> <seq>" for every acknowledged
// transaction (seq of its last entry).
import { Wal } from '@quire/wal'

const [dir, round] = process.argv.slice(2)
if (dir === undefined || round === undefined) throw new Error('usage: wal-writer.ts <dir> <round>')

const ACCOUNTS = 8
const text = new TextEncoder()
const entry = (kind: string, tx: string, account: string, amount: number) =>
  ({ op: 'put', key: text.encode(`${kind}/${tx}/${account}`), value: text.encode(String(amount)) }) as const

const wal = await Wal.open(dir, { segmentBytes: 64 * 1024 })
process.stdout.write(`start ${wal.lastSeq}\n`)
if (wal.lastSeq === 0) {
  const opened = await wal.appendBatch(Array.from({ length: ACCOUNTS }, (_, a) => entry('open', 'open', `acc-${a}`, 1000)))
  process.stdout.write(`ack open ${opened[opened.length - 1]!.seq}\n`)
}
let n = 0
const worker = async (w: number): Promise<void> => {
  for (;;) {
    const tx = `${round}-${n++}`
    const amount = 1 + ((n * 7919 + w) % 250)
    let seq: number
    if (n % 5 === 0) {
      seq = (await wal.append(entry('deposit', tx, `acc-${n % ACCOUNTS}`, amount))).seq
    } else {
      const legs = await wal.appendBatch([
        entry('debit', tx, `acc-${(n + w) % ACCOUNTS}`, amount),
        entry('credit', tx, `acc-${(n + w + 3) % ACCOUNTS}`, amount),
      ])
      seq = legs[1]!.seq
    }
    process.stdout.write(`ack ${tx} ${seq}\n`)
  }
}
await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)))
