import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEventStore, makeWal } from './support/make-stores.js'
import { jsonOf, linesOf, PACKAGE_DIR, quire, type VerifyDoc } from './support/run-cli.js'

const CHILD = fileURLToPath(new URL('./fixtures/live-writer.ts', import.meta.url))

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-live-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** Starts a writer in another process; resolves once it has appended (and holds the lock). */
async function startWriter(kind: 'wal' | 'event-store', path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', CHILD, kind, path], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  await new Promise<void>((resolve, reject) => {
    lines.once('line', () => resolve())
    child.once('exit', (code) => reject(new Error(`writer exited early (${String(code)})`)))
  })
  return child
}

async function stop(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await gone
}

describe('next to a live writer in another process', () => {
  it('info, verify and dump read a WAL without taking its lock; repair --yes is refused with LOCKED', async () => {
    const dir = join(root, 'wal')
    await makeWal(dir)
    const writer = await startWriter('wal', dir)
    try {
      const lock = await readFile(join(dir, 'LOCK'))
      const info = await quire(['info', dir, '--json'])
      expect(info.code, info.stderr).toBe(0)
      expect(jsonOf<{ locks: unknown[] }>(info).locks).toEqual([expect.objectContaining({ file: join(dir, 'LOCK'), pid: writer.pid, holder: 'alive' })])
      const verify = await quire(['verify', dir, '--json'])
      expect(verify.code, verify.stdout).toBe(0)
      expect(jsonOf<VerifyDoc>(verify).checked.entries).toBeGreaterThan(23)
      const dump = await quire(['dump', dir, '--from', '1', '--to', '3'])
      expect(dump.code).toBe(0)
      expect(linesOf(dump).map((l) => l.seq)).toEqual([1, 2, 3])
      // The writer's lock is the same file, untouched: no reader took it over or rewrote it.
      expect(await readFile(join(dir, 'LOCK'))).toEqual(lock)
      // The dry run says the store is in use and what --yes would get; an in-flight tail is not work to do.
      const dry = await quire(['repair', dir])
      expect(dry.code, dry.stdout + dry.stderr).toBe(0)
      expect(dry.stdout).toMatch(/the store is in use: .*LOCK is held by pid \d+; --yes would be refused with LOCKED/)
      expect(dry.stdout).not.toMatch(/would do: cut-torn-tail|run again with --yes/)
      expect(jsonOf<{ recovery: string }>(info).recovery).toMatch(/in use by a live writer .*would get LOCKED/)
      const repair = await quire(['repair', dir, '--yes'])
      expect(repair.code).toBe(2)
      expect(repair.stderr).toMatch(/quire: LOCKED: another process holds the store's writer lock/)
      // Still writing after all of it: the writer never lost its lock.
      expect(writer.exitCode).toBe(null)
      const later = jsonOf<{ lastSeq: number }>(await quire(['info', dir, '--json']))
      expect(later.lastSeq).toBeGreaterThan(jsonOf<{ lastSeq: number }>(info).lastSeq)
    } finally {
      await stop(writer)
    }
  })

  it('verify reads an event store while its writer appends', async () => {
    const dir = join(root, 'es')
    await makeEventStore('wal', dir)
    const writer = await startWriter('event-store', dir)
    try {
      const lock = await readFile(join(dir, 'LOCK'))
      const verify = await quire(['verify', dir, '--json'])
      expect(verify.code, verify.stdout + verify.stderr).toBe(0)
      const v = jsonOf<VerifyDoc>(verify)
      expect(v.checked.events).toBeGreaterThan(16)
      expect(v.locks.some((l) => l.holder === 'alive' && l.pid === writer.pid)).toBe(true)
      expect(await readFile(join(dir, 'LOCK'))).toEqual(lock)
      expect(writer.exitCode).toBe(null)
    } finally {
      await stop(writer)
    }
  })
})
