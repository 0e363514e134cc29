import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exited, startFixture } from './child.js'

describe('writeFileAtomic under SIGKILL (real processes, real disk)', () => {
  it('the file always holds an intact value at least as new as the last one acknowledged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-kill-'))
    try {
      // QUIRE_KILL_ROUNDS: more rounds in `pnpm soak` (vfs cannot import the test kit, which imports it).
      const rounds = Number(process.env.QUIRE_KILL_ROUNDS) || 4
      for (let round = 0; round < rounds; round++) {
        const { child, lines } = startFixture('atomic-writer.ts', [dir])
        let acknowledged = 0
        let timer: NodeJS.Timeout | undefined
        for await (const line of lines) {
          acknowledged = Number(line)
          // Start the clock once the child is writing: its start-up time varies with the machine's load.
          timer ??= setTimeout(() => child.kill('SIGKILL'), 20 + Math.floor(Math.random() * 300))
        }
        clearTimeout(timer)
        await exited(child)
        expect(child.signalCode).toBe('SIGKILL')
        const state = JSON.parse(await readFile(join(dir, 'state'), 'utf8')) as { value: number; check: number }
        expect(state.check).toBe(state.value * 7)
        expect(state.value).toBeGreaterThanOrEqual(acknowledged)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
