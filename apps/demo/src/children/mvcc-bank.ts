// The child of the 'mvcc-bank' demo scenario: a bank of accounts in an @quire/mvcc store under
// snapshot isolation. 32 concurrent workers move money between random accounts, one
// transaction per transfer (read both balances, write both, record the transfer), and print
// `ack <id>` once the commit is durable. The parent SIGKILLs it at random.
//
// Usage: mvcc-bank.ts <dir>
// Output: `start <commits recovered> <transfers on record>`, then `ack <id>` lines.
import { MvccStore } from '@quire/mvcc'
import { ACCOUNTS, INITIAL_BALANCE, accountKey } from '../scenarios/60-mvcc-bank.js'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: mvcc-bank.ts <dir>')
const say = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

const db = await MvccStore.open(dir, { isolation: 'snapshot' })
// First run: open every account in one transaction (all or nothing).
await db.transaction(async (tx) => {
  if ((await tx.get('bank/opened')) !== undefined) return
  for (let a = 0; a < ACCOUNTS; a++) await tx.put(accountKey(a), INITIAL_BALANCE)
  await tx.put('bank/opened', true)
})
let onRecord = 0
await db.transaction(async (tx) => {
  for await (const _ of tx.scan({ prefix: 'xfer/' })) onRecord++
}, { readOnly: true })
say(`start ${db.stats().visibleTs} ${onRecord}`)

let next = 0
let done = 0
async function worker(): Promise<void> {
  for (;;) {
    const id = `${process.pid}-${next++}`
    const from = Math.floor(Math.random() * ACCOUNTS)
    const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS
    const moved = await db.transaction(
      async (tx) => {
        const a = (await tx.get(accountKey(from))) as number
        const b = (await tx.get(accountKey(to))) as number
        const amount = Math.min(a, 1 + Math.floor(Math.random() * 100))
        if (amount === 0) return false
        await tx.put(accountKey(from), a - amount)
        await tx.put(accountKey(to), b + amount)
        await tx.put(`xfer/${id}`, { from, to, amount })
        return true
      },
      { retries: 1000 },
    )
    if (moved) say(`ack ${id}`)
    if (++done % 500 === 0) await db.checkpoint()
  }
}
await Promise.all(Array.from({ length: 32 }, worker))
