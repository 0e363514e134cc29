// Real-process crash test: a child commits transactions to a real directory and is SIGKILLed
// at a random moment; every transaction it reported acknowledged must be there after recovery,
// and no transaction may be half there (each worker's counter equals its number of items).
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killRounds, tallyAckedChecked } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'
import { collect } from './helpers.js'

const child = fileURLToPath(new URL('./fixtures/kill-child.ts', import.meta.url))

async function runAndKill(dir: string, killAfterMs: number): Promise<Map<number, number>> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', child, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const acked = new Map<number, number>()
  const lines = createInterface({ input: proc.stdout })
  lines.on('line', (line) => {
    if (line === 'ready') setTimeout(() => proc.kill('SIGKILL'), killAfterMs)
    const m = /^ack (\d+) (\d+)$/.exec(line)
    if (m) acked.set(Number(m[1]), Math.max(acked.get(Number(m[1])) ?? -1, Number(m[2])))
  })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve))
  await closed
  expect(code).toBeNull() // killed, not exited
  return acked
}

describe('SIGKILL', () => {
  it('every acknowledged transaction survives, none is half there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-mvcc-kill-'))
    try {
      let total = 0
      for (let round = 0; round < killRounds(3); round++) {
        const acked = await runAndKill(dir, 100 + Math.floor(Math.random() * 400))
        const db = await MvccStore.open(dir)
        const all = await db.transaction((tx) => collect(tx.scan()), { readOnly: true })
        await db.close()
        const counts = new Map(all.filter(([k]) => k.startsWith('count/')).map(([k, v]) => [Number(k.slice(6)), v as number]))
        const items = all.filter(([k]) => k.startsWith('item/'))
        for (const [w, n] of acked) expect(counts.get(w)).toBeGreaterThan(n)
        tallyAckedChecked(acked.size)
        for (const [w, count] of counts) {
          expect(items.filter(([k]) => k.startsWith(`item/${w}/`)).length).toBe(count)
        }
        total += [...acked.values()].reduce((a, n) => a + n + 1, 0)
      }
      expect(total).toBeGreaterThan(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
