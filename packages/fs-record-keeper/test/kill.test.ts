import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killRounds, tallyAckedChecked } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { Depot, ObjectState, RecordKeeper } from '../src/index.js'
import { objectContent } from './fixtures/object-content.js'

const childFile = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url))

/** Runs the writer until `killAfterMs` after it is ready, SIGKILLs it, returns what it acknowledged. */
async function runAndKill(dir: string, killAfterMs: number): Promise<{ events: string[]; objects: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', childFile, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const events: string[] = []
  const objects: string[] = []
  const lines = createInterface({ input: child.stdout })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  lines.on('line', (line) => {
    if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    else if (line.startsWith('rk ')) events.push(line.slice(3))
    else if (line.startsWith('obj ')) objects.push(line.slice(4))
  })
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)))
  await closed
  expect(signal).toBe('SIGKILL')
  return { events, objects }
}

describe('a writer killed with SIGKILL', () => {
  it('loses nothing it acknowledged, and the store keeps growing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rk-kill-'))
    try {
      const allEvents: string[] = []
      const allObjects: string[] = []
      for (let round = 0; round < killRounds(4); round++) {
        const { events, objects } = await runAndKill(dir, 100 + Math.floor(Math.random() * 400))
        allEvents.push(...events)
        allObjects.push(...objects)

        const rk = await RecordKeeper.open(dir)
        const chain: string[] = []
        for await (const event of rk.events()) chain.push(event.id)
        await rk.close()
        // Every acknowledged add is there, in acknowledgement order.
        const position = new Map(chain.map((id, i) => [id, i]))
        const positions = allEvents.map((id) => position.get(id))
        expect(positions.every((p) => p !== undefined)).toBe(true)
        for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!)
        expect((await RecordKeeper.verify(dir)).ok).toBe(true)

        const depot = await Depot.open(dir)
        for (const id of allObjects) {
          expect(await depot.state(id)).toBe(ObjectState.READABLE)
          const content = objectContent(id)
          expect(Buffer.from(await depot.read(id, 0, content.byteLength)).equals(content)).toBe(true)
        }
        expect((await depot.verify()).damaged).toEqual([])
        tallyAckedChecked(allEvents.length + allObjects.length)
        await depot.close()
      }
      expect(allEvents.length).toBeGreaterThan(0)
      expect(allObjects.length).toBeGreaterThan(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
