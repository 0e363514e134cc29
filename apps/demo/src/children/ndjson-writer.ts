// Child of the ndjson-log scenario: a bank ledger appending to an NdjsonLog through the real file
// system until it is SIGKILLed. Transfers are batches (debit + credit); deposits are single
// records. Prints "start <lastSeq>" once open, then "ack <tx>" for every acknowledged transaction.
import { NdjsonLog } from '@quire/ndjson-log'

const [file, round] = process.argv.slice(2)
if (file === undefined || round === undefined) throw new Error('usage: ndjson-writer.ts <file> <round>')

const ACCOUNTS = 8
const log = await NdjsonLog.open(file, { maxFileBytes: 128 * 1024 })
process.stdout.write(`start ${log.lastSeq}\n`)
if (log.lastSeq === 0) {
  await log.appendBatch(
    Array.from({ length: ACCOUNTS }, (_, a) => ({ type: 'Opened', tx: 'open', account: `acc-${a}`, amount: 1000, at: new Date() })),
  )
  process.stdout.write('ack open\n')
}
let n = 0
const worker = async (w: number): Promise<void> => {
  for (;;) {
    const tx = `${round}-${n++}`
    const amount = 1 + ((n * 7919 + w) % 250)
    if (n % 5 === 0) {
      await log.append({ type: 'Deposited', tx, account: `acc-${n % ACCOUNTS}`, amount, at: new Date() })
    } else {
      const from = `acc-${(n + w) % ACCOUNTS}`
      const to = `acc-${(n + w + 3) % ACCOUNTS}`
      await log.appendBatch([
        { type: 'Debited', tx, account: from, amount, at: new Date() },
        { type: 'Credited', tx, account: to, amount, at: new Date() },
      ])
    }
    process.stdout.write(`ack ${tx}\n`)
  }
}
await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)))
