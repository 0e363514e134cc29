import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { NdjsonLog } from '@quire/ndjson-log'
import { runAndKill, spawnChild } from '../child-process.js'
import type { Scenario } from '../scenario.js'

interface LedgerEvent {
  readonly type: 'Opened' | 'Deposited' | 'Debited' | 'Credited'
  readonly tx: string
  readonly account: string
  readonly amount: number
  readonly at: Date
}

/** Recovers the log as the next writer would, and audits the ledger against the acknowledgements. */
async function audit(
  file: string,
  acked: ReadonlySet<string>,
): Promise<{ records: number; lastSeq: number; cut: number; released: number; money: number; transfers: number }> {
  const log = await NdjsonLog.open<LedgerEvent>(file)
  const cut = log.recovery.truncatedBytes
  const released = log.recovery.releasedBytes
  const legs = new Map<string, string[]>()
  const seen = new Set<string>()
  let expectedSeq = 1
  let money = 0
  let injected = 0
  for await (const { seq, record } of log.read()) {
    if (seq !== expectedSeq++) throw new Error(`seq ${seq} where ${expectedSeq - 1} was expected`)
    if (!(record.at instanceof Date)) throw new Error(`seq ${seq}: the timestamp did not come back as a Date`)
    seen.add(record.tx)
    money += record.type === 'Debited' ? -record.amount : record.amount
    if (record.type === 'Opened' || record.type === 'Deposited') injected += record.amount
    if (record.type === 'Debited' || record.type === 'Credited') legs.set(record.tx, [...(legs.get(record.tx) ?? []), record.type])
  }
  const lastSeq = log.lastSeq
  await log.close()
  for (const [tx, types] of legs) {
    if (types.join() !== 'Debited,Credited') throw new Error(`transfer ${tx} is half there: ${types.join()}`)
  }
  if (money !== injected) throw new Error(`money was created or lost: balances ${money}, deposits ${injected}`)
  for (const tx of acked) if (!seen.has(tx)) throw new Error(`transaction ${tx} was acknowledged but is missing`)
  return { records: lastSeq, lastSeq, cut, released, money, transfers: legs.size }
}

export const scenario: Scenario = {
  name: 'ndjson-log',
  title: 'NDJSON bank ledger: a writer SIGKILLed at random; no acknowledged transaction lost, no half transfer',
  async run(ctx) {
    const file = join(ctx.dir, 'ledger.ndjson')
    const writer = new URL('../children/ndjson-writer.ts', import.meta.url)
    const acked = new Set<string>()
    let lastSeq = 0
    for (let round = 1; round <= ctx.rounds; round++) {
      const child = spawnChild(writer, [file, String(round)])
      const killAfterMs = 50 + Math.floor(Math.random() * 300)
      let started: number | undefined
      let acksThisRound = 0
      const { killed } = await runAndKill(child, 15_000, (line) => {
        const [tag, value = ''] = line.split(' ')
        if (tag === 'start') {
          started = Number(value)
          setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        } else if (tag === 'ack') {
          acked.add(value)
          acksThisRound++
        }
      })
      if (!killed) throw new Error(`round ${round}: the writer exited by itself`)
      if (started === undefined) throw new Error(`round ${round}: the writer died before it started`)
      if (started !== lastSeq) throw new Error(`round ${round}: the writer resumed at seq ${started}, expected ${lastSeq}`)
      const found = await audit(file, acked)
      lastSeq = found.lastSeq
      const files = (await readdir(ctx.dir)).filter((f) => f.endsWith('.ndjson')).length
      ctx.log(
        `round ${round}: killed ${killAfterMs} ms after resuming at seq ${started}, ${acksThisRound} transactions acknowledged; ` +
          `recovery ${found.cut > 0 ? `cut a torn tail of ${found.cut} B` : 'found no torn tail'}` +
          `${found.released > 0 ? ` and released ${found.released} B of preallocated space` : ''}; ` +
          `${found.records} records in ${files} file(s), ${found.transfers} complete transfers, money ${found.money} = deposits`,
      )
    }
    ctx.log(`all ${acked.size} acknowledged transactions are on disk; read it with: jq -c 'select(.rec) | .rec' ledger.ndjson`)
  },
}
