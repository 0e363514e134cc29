import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { SnapshotStore, type CorruptionReport } from '@quire/snapshots'
import { runAndKill, spawnChild } from '../child-process.js'
import { ACCOUNTS, LEDGER_KEYS, OPENING_BALANCE, replay } from '../children/snapshots-ledger.js'
import type { Scenario } from '../scenario.js'

const keyDir = (dir: string, key: string): string => join(dir, `k-${Buffer.from(key).toString('hex')}`)

/** Flips one byte in the middle of the newest snapshot file of `key`: a disk that went bad. */
async function damageNewest(dir: string, key: string): Promise<string> {
  const names = (await readdir(keyDir(dir, key))).filter((n) => n.endsWith('.snap')).sort()
  const newest = names.at(-1)
  if (newest === undefined) throw new Error(`no snapshot of ${key} to damage`)
  const handle = await open(join(keyDir(dir, key), newest), 'r+')
  try {
    const { size } = await handle.stat()
    const at = Math.floor(size / 2)
    const byte = Buffer.alloc(1)
    await handle.read(byte, 0, 1, at)
    byte[0] = byte[0]! ^ 0x5a
    await handle.write(byte, 0, 1, at)
  } finally {
    await handle.close()
  }
  return newest
}

export const scenario: Scenario = {
  name: 'snapshots',
  title: 'Snapshots of two ledgers: a saving writer SIGKILLed at random, a snapshot damaged now and then; load returns the last acknowledged or newer, or falls back past damage, never wrong state',
  async run(ctx) {
    const writer = new URL('../children/snapshots-writer.ts', import.meta.url)
    // The newest position of each key that load must reach (acknowledged, or what we fell back to).
    const floor = new Map<string, number>()
    for (let round = 1; round <= ctx.rounds; round++) {
      const child = spawnChild(writer, [ctx.dir])
      const killAfterMs = 50 + Math.floor(Math.random() * 300)
      const acksThisRound = new Map<string, number>()
      let timer: NodeJS.Timeout | undefined
      const problems: string[] = []
      const { killed } = await runAndKill(child, 15_000, (line) => {
        const [tag, key = '', position = ''] = line.split(' ')
        if (tag === 'start') {
          timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs)
          if (Number(position) < (floor.get(key) ?? 0)) problems.push(`${key} resumed at ${position}, below ${floor.get(key)}`)
        } else if (tag === 'ack') {
          floor.set(key, Number(position))
          acksThisRound.set(key, (acksThisRound.get(key) ?? 0) + 1)
        }
      })
      clearTimeout(timer)
      if (!killed) throw new Error(`round ${round}: the writer exited by itself`)
      if (problems.length > 0) throw new Error(`round ${round}: ${problems.join('; ')}`)

      // Every other round, the disk damages the newest snapshot of one ledger.
      const damagedKey = round % 2 === 0 ? LEDGER_KEYS[(round / 2) % LEDGER_KEYS.length]! : undefined
      const damagedFile = damagedKey === undefined || floor.get(damagedKey) === undefined ? undefined : await damageNewest(ctx.dir, damagedKey)

      const reports: CorruptionReport[] = []
      const store = await SnapshotStore.open(ctx.dir, { keep: 2, onCorrupt: (r) => reports.push(r) })
      const found: string[] = []
      for (const key of LEDGER_KEYS) {
        const snapshot = await store.load(key, { schemaVersion: 1 })
        const acked = floor.get(key)
        if (snapshot === undefined) {
          if (acked !== undefined) throw new Error(`round ${round}: ${key} acknowledged ${acked} but nothing loads`)
          found.push(`${key}: nothing yet`)
          continue
        }
        if (!isDeepStrictEqual(snapshot.state, replay(key, snapshot.position))) {
          throw new Error(`round ${round}: ${key} at ${snapshot.position} holds a state that differs from the replay`)
        }
        const balances = (snapshot.state as { balances: number[] }).balances
        const total = balances.reduce((a, b) => a + b, 0)
        if (total !== ACCOUNTS * OPENING_BALANCE) throw new Error(`round ${round}: ${key} money is ${total}`)
        if (key === damagedKey && damagedFile !== undefined) {
          if (!reports.some((r) => r.key === key)) throw new Error(`round ${round}: the damaged ${damagedFile} was not reported`)
          const damagedPosition = Number.parseInt(damagedFile.slice(0, 16), 16)
          if (snapshot.position > damagedPosition) {
            throw new Error(`round ${round}: ${key} loaded ${snapshot.position}, newer than anything saved`)
          }
          found.push(`${key}: newest (${damagedFile}) damaged → reported (${reports.find((r) => r.key === key)!.reason}), fell back to ${snapshot.position}`)
          floor.set(key, snapshot.position)
        } else {
          if (acked !== undefined && snapshot.position < acked) {
            throw new Error(`round ${round}: ${key} loaded ${snapshot.position}, older than acknowledged ${acked}`)
          }
          found.push(`${key}: ${snapshot.position} (acknowledged ${acked ?? 'none'})`)
          floor.set(key, snapshot.position)
        }
      }
      await store.close()
      const acks = LEDGER_KEYS.map((k) => acksThisRound.get(k) ?? 0).join('+')
      ctx.log(`round ${round}: killed ${killAfterMs} ms after start, ${acks} saves acknowledged; ${found.join('; ')}; money conserved`)
    }
  },
}
