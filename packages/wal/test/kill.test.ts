import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killRounds, tallyAckedChecked } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'

const child = fileURLToPath(new URL('./fixtures/wal-child.ts', import.meta.url))

/**
 * Runs the child until SIGKILL after `killAfterMs` (counted from its first ack); returns its acked
 * lines. `whileAlive` runs once the child has acknowledged something, before the kill.
 */
async function runAndKill(dir: string, io: 'async' | 'inline', killAfterMs: number, whileAlive?: () => Promise<void>): Promise<string[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', child, dir, io], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const acked: string[] = []
  const lines = createInterface({ input: proc.stdout })
  let timer: NodeJS.Timeout | undefined
  let alive: Promise<void> | undefined
  lines.on('line', (line) => {
    acked.push(line)
    // The kill timer starts once `whileAlive` is done, so it really runs while the child lives.
    alive ??= (whileAlive?.() ?? Promise.resolve()).finally(() => {
      timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs)
    })
  })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  // A safety net: a child that never acknowledges anything is killed too.
  const fallback = setTimeout(() => proc.kill('SIGKILL'), 8_000)
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, sig) => resolve(sig)))
  clearTimeout(fallback)
  if (timer !== undefined) clearTimeout(timer)
  await closed
  await alive
  expect(signal).toBe('SIGKILL')
  return acked
}

describe('real SIGKILL', () => {
  // 'inline' writes groups synchronously through a second O_DSYNC descriptor: the same promise.
  it.each(['async', 'inline'] as const)('every entry the child reported acknowledged is replayed after kill -9 (io %s)', async (io) => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-wal-kill-'))
    try {
      const acked = new Map<number, string>()
      for (let round = 0; round < killRounds(3); round++) {
        // While the child holds the log, a second writer from this process fails at once.
        const secondWriter = async (): Promise<void> => {
          await expect(Wal.open(dir)).rejects.toMatchObject({ code: 'LOCKED' })
        }
        for (const line of await runAndKill(dir, io, 50 + Math.floor(Math.random() * 250), round === 0 ? secondWriter : undefined)) {
          const [seq, key, value] = line.split(' ')
          acked.set(Number(seq), `${key} ${value}`)
        }
        const wal = await Wal.open(dir)
        const found = new Map<number, string>()
        let prev = 0
        for await (const e of wal.replay()) {
          expect(e.seq).toBe(prev + 1)
          prev = e.seq
          found.set(e.seq, `${Buffer.from(e.key).toString('hex')} ${e.value === null ? '-' : Buffer.from(e.value).toString('hex')}`)
        }
        expect(wal.lastSeq).toBe(prev)
        for (const [seq, item] of acked) expect(found.get(seq)).toBe(item)
        tallyAckedChecked(acked.size)
        await wal.close()
      }
      expect(acked.size).toBeGreaterThan(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
