// EVENT-STORE.md (d) 46: a child process appending through the real file system is SIGKILLed at
// a random moment, four times per backend; everything it reported acknowledged must be there,
// at the stream revision and position it was given, and the store must keep growing.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killRounds, tallyAckedChecked } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { ndjsonBackend } from '../src/backends/ndjson.js'
import { recordKeeperBackend } from '../src/backends/record-keeper.js'
import { walBackend } from '../src/backends/wal.js'
import type { EventStoreBackend } from '../src/driver.js'
import { EventStore } from '../src/event-store.js'
import { BACKENDS, type BackendName } from './parts.js'
import { readEverything } from './store-workload.js'

const child = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url))

const storePath = (name: BackendName, dir: string): string => (name === 'ndjson' ? join(dir, 'events.ndjson') : join(dir, 'store'))

function backend(name: BackendName, path: string): EventStoreBackend {
  return name === 'wal' ? walBackend(path) : name === 'ndjson' ? ndjsonBackend(path) : recordKeeperBackend(path)
}

/** Runs the child until SIGKILL `killAfterMs` after it is ready; returns its acknowledged lines. */
async function runAndKill(name: BackendName, path: string, killAfterMs: number, whileAlive?: () => Promise<void>): Promise<string[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', child, name, path], { stdio: ['ignore', 'pipe', 'inherit'] })
  const acked: string[] = []
  const lines = createInterface({ input: proc.stdout })
  let alive: Promise<void> | undefined
  lines.on('line', (line) => {
    if (line !== 'ready') {
      acked.push(line)
      return
    }
    alive = (whileAlive?.() ?? Promise.resolve()).finally(() => setTimeout(() => proc.kill('SIGKILL'), killAfterMs))
  })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  // A safety net: a child that never gets ready is killed too.
  const fallback = setTimeout(() => proc.kill('SIGKILL'), 20_000)
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, sig) => resolve(sig)))
  clearTimeout(fallback)
  await closed
  await alive
  expect(signal).toBe('SIGKILL')
  return acked
}

describe.each(BACKENDS)('real SIGKILL: %s', (name) => {
  it('every event the child reported acknowledged is there after kill -9, four times', async () => {
    const dir = await mkdtemp(join(tmpdir(), `quire-es-kill-${name}-`))
    const path = storePath(name, dir)
    try {
      const acked = new Map<string, string>()
      for (let round = 0; round < killRounds(4); round++) {
        // While the child holds the store, a second opener from this process gets LOCKED.
        const secondOpener = async (): Promise<void> => {
          await expect(EventStore.open({ backend: backend(name, path) })).rejects.toMatchObject({ code: 'LOCKED' })
        }
        for (const line of await runAndKill(name, path, 100 + Math.floor(Math.random() * 300), round === 0 ? secondOpener : undefined)) {
          const [id, stream, revision, position] = line.split(' ')
          acked.set(id!, `${stream} ${revision} ${position}`)
        }
        const store = await EventStore.open({ backend: backend(name, path) })
        const all = await readEverything(store)
        // Positions 1..n, revisions 0..k per stream, ids unique.
        expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)))
        const next = new Map<string, number>()
        for (const e of all) {
          expect(e.revision).toBe(next.get(e.streamName) ?? 0)
          next.set(e.streamName, e.revision + 1)
        }
        const found = new Map(all.map((e) => [e.id, `${e.streamName} ${e.revision} ${e.position}`]))
        expect(found.size).toBe(all.length)
        for (const [id, where] of acked) expect(found.get(id)).toBe(where)
        tallyAckedChecked(acked.size)
        await store.close()
      }
      expect(acked.size).toBeGreaterThan(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
