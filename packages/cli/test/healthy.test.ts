import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeHealthy } from './support/healthy-cases.js'
import { quire } from './support/run-cli.js'
import { makeWal } from './support/make-stores.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'

// The event stores are in healthy-event-stores.test.ts (each file stays short).
describeHealthy(['wal', 'ndjson-log', 'snapshots', 'record-keeper', 'mvcc'])

describe('text output', () => {
  it('verify says what it checked', async () => {
    const root = await mkdtemp(join(tmpdir(), 'quire-cli-text-'))
    try {
      await makeWal(join(root, 'wal'))
      const r = await quire(['verify', join(root, 'wal')])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('checked: segments 2, entries 23')
      expect(r.stdout).toContain('OK: no damage found')
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
