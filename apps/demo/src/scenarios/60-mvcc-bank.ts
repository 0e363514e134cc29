import { MvccStore } from '@quire/mvcc'
import { runAndKill, spawnChild } from '../child-process.js'
import type { Scenario } from '../scenario.js'

/** The bank the child runs: ACCOUNTS accounts opened with INITIAL_BALANCE each. */
export const ACCOUNTS = 20
export const INITIAL_BALANCE = 1000
export const accountKey = (a: number): string => `account/${String(a).padStart(3, '0')}`

interface Audit {
  total: number
  transfers: number
  ids: Set<string>
}

/** Reads the whole bank in one snapshot and checks that the books balance. */
async function audit(dir: string): Promise<Audit> {
  const db = await MvccStore.open(dir)
  try {
    return await db.transaction(
      async (tx) => {
        const balances = new Map<number, number>()
        for await (const [key, value] of tx.scan({ prefix: 'account/' })) balances.set(Number(key.slice(8)), value as number)
        const expected = new Map<number, number>()
        for (let a = 0; a < ACCOUNTS; a++) expected.set(a, INITIAL_BALANCE)
        const ids = new Set<string>()
        for await (const [key, value] of tx.scan({ prefix: 'xfer/' })) {
          const { from, to, amount } = value as { from: number; to: number; amount: number }
          ids.add(key.slice(5))
          expected.set(from, expected.get(from)! - amount)
          expected.set(to, expected.get(to)! + amount)
        }
        if (balances.size !== ACCOUNTS) throw new Error(`${balances.size} accounts, expected ${ACCOUNTS}`)
        let total = 0
        for (const [a, balance] of balances) {
          if (balance < 0) throw new Error(`account ${a} is overdrawn: ${balance}`)
          // Every transfer is there whole or not at all: balances match the transfer records.
          if (balance !== expected.get(a)) {
            throw new Error(`account ${a} holds ${balance} but its transfers say ${expected.get(a)}: a half-applied transfer`)
          }
          total += balance
        }
        return { total, transfers: ids.size, ids }
      },
      { readOnly: true },
    )
  } finally {
    await db.close()
  }
}

export const scenario: Scenario = {
  name: 'mvcc-bank',
  title: 'MVCC bank: concurrent transfers under snapshot isolation, SIGKILLed at random; no money lost or invented',
  async run(ctx) {
    const child = new URL('../children/mvcc-bank.ts', import.meta.url)
    const acked = new Set<string>()
    for (let round = 1; round <= ctx.rounds; round++) {
      const proc = spawnChild(child, [ctx.dir])
      const killAfterMs = 100 + Math.floor(Math.random() * 500)
      let start = ''
      let acksThisRound = 0
      const { killed } = await runAndKill(proc, 15_000, (line) => {
        const [tag, a = '', b = ''] = line.split(' ')
        if (tag === 'start') {
          start = `recovered ${a} commits, ${b} transfers on record`
          setTimeout(() => proc.kill('SIGKILL'), killAfterMs)
        } else if (tag === 'ack') {
          acked.add(a)
          acksThisRound++
        }
      })
      if (!killed) throw new Error(`round ${round}: the bank exited by itself`)
      if (start === '') throw new Error(`round ${round}: the bank died before it started`)
      const found = await audit(ctx.dir)
      if (found.total !== ACCOUNTS * INITIAL_BALANCE) {
        throw new Error(`round ${round}: the bank holds ${found.total}, not ${ACCOUNTS * INITIAL_BALANCE}`)
      }
      const missing = [...acked].filter((id) => !found.ids.has(id))
      if (missing.length > 0) throw new Error(`round ${round}: ${missing.length} acknowledged transfers are missing, e.g. ${missing[0]}`)
      ctx.log(
        `round ${round}: ${start}; killed ${killAfterMs} ms in, ${acksThisRound} transfers acknowledged; ` +
          `after recovery: total ${found.total}, ${found.transfers} transfers on record, all ${acked.size} acknowledged present`,
      )
    }
  },
}
