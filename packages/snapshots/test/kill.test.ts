import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killRounds, tallyAckedChecked } from '@quire/test-kit'
import { afterAll, describe, expect, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

const childFile = fileURLToPath(new URL('./fixtures/snapshot-writer.ts', import.meta.url))
const stateAt = (key: string, position: number) => ({ key, position, fill: 'q'.repeat((position * 37) % 3000) })
const ROUNDS = 4

/** Runs the writer until SIGKILL `killAfterMs` after it is ready; returns the highest acknowledged position per key. */
async function runAndKill(dir: string, killAfterMs: number): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', childFile, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const acked = new Map<string, number>()
  const lines = createInterface({ input: child.stdout })
  const drained = new Promise<void>((resolve) => lines.once('close', resolve))
  let timer: NodeJS.Timeout | undefined
  lines.on('line', (line) => {
    if (line === 'ready') {
      timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
      return
    }
    const [key, position] = line.split(' ')
    acked.set(key!, Math.max(acked.get(key!) ?? 0, Number(position)))
  })
  const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  clearTimeout(timer)
  await drained
  expect(exit).toBe('SIGKILL')
  return acked
}

describe('SIGKILL of a process saving snapshots', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('every acknowledged snapshot (or a newer one) survives, intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-snapshots-kill-'))
    dirs.push(dir)
    let total = 0
    for (let round = 0; round < killRounds(ROUNDS); round++) {
      const acked = await runAndKill(dir, 100 + Math.floor(Math.random() * 400))
      const store = await SnapshotStore.open(dir)
      for (const key of ['alpha', 'beta']) {
        const got = await store.load(key)
        const ack = acked.get(key)
        if (ack === undefined) continue
        total++
        expect(got, `${key}: acknowledged ${ack} but nothing loaded`).toBeDefined()
        expect(got!.position).toBeGreaterThanOrEqual(ack)
        expect(got!.state).toEqual(stateAt(key, got!.position))
        tallyAckedChecked(1)
      }
      for (const name of await readdir(dir)) {
        if (!name.startsWith('k-')) continue
        expect((await readdir(join(dir, name))).filter((n) => n.endsWith('.tmp'))).toEqual([])
      }
      await store.close()
    }
    // The writer made progress in at least one round, or the test proves nothing.
    expect(total).toBeGreaterThan(0)
  })
})
