import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killRounds, tallyAckedChecked } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { NdjsonLog, type LogRecord } from '@quire/ndjson-log'
import { isValidNdjson } from './helpers.js'

const childFile = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url))

/** Runs the writer until it has acknowledged something, SIGKILLs it a random moment later. */
async function runAndKill(dir: string, round: number, killAfterMs: number): Promise<Set<string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', childFile, dir, String(round)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const acked = new Set<string>()
  const lines = createInterface({ input: child.stdout })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  let timer: NodeJS.Timeout | undefined
  lines.on('line', (line) => {
    if (line.startsWith('ack ')) {
      acked.add(line.slice(4))
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    }
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  await closed
  clearTimeout(timer)
  expect(code).toBeNull() // it was killed, it did not exit by itself
  return acked
}

describe('a real process SIGKILLed while appending', () => {
  it('loses no acknowledged record and leaves no half batch, round after round', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ndjson-kill-'))
    try {
      const acked = new Set<string>()
      for (let round = 0; round < killRounds(4); round++) {
        for (const id of await runAndKill(dir, round, 50 + Math.floor(Math.random() * 250))) acked.add(id)
        const log = await NdjsonLog.open<LogRecord>(join(dir, 'events.ndjson'))
        const seen = new Map<string, LogRecord>()
        let expectedSeq = 1
        for await (const { seq, record } of log.read()) {
          expect(seq).toBe(expectedSeq++)
          seen.set(record.id as string, record)
        }
        await log.close()
        for (const id of acked) expect(seen.has(id), `acknowledged ${id}`).toBe(true)
        tallyAckedChecked(acked.size)
        // Batches: every record of a transaction is there if one is.
        const parts = new Map<string, number>()
        for (const r of seen.values()) parts.set(r.tx as string, (parts.get(r.tx as string) ?? 0) + 1)
        for (const r of seen.values()) expect(parts.get(r.tx as string), `transaction ${String(r.tx)}`).toBe(r.of)
        expect(acked.size).toBeGreaterThan(0)
      }
      for (const name of await readdir(dir)) {
        if (name.endsWith('.ndjson')) expect(isValidNdjson(await readFile(join(dir, name), 'utf8'))).toBe(true)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
