import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { Depot, ObjectState, RecordKeeper } from '../src/index.js'

// The README's example, run against a temp directory on the real disk.
it('runs the README example', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-readme-'))
  try {
    const rk = await RecordKeeper.open(dir)
    const id = randomUUID()
    try {
      await rk.add({ id, type: 'AccountOpened', owner: 'alice', at: new Date(0) })
      expect(await rk.read(id)).toEqual({ id, type: 'AccountOpened', owner: 'alice', at: new Date(0) })
      expect(await rk.tail()).toBe(id)
      const seen: string[] = []
      for await (const event of rk.events()) seen.push(event.id)
      expect(seen).toEqual([id])
    } finally {
      await rk.close()
    }

    const depot = await Depot.open(dir)
    try {
      const objectId = randomUUID()
      const bytes = new TextEncoder().encode('receipt #1')
      await depot.reserve(objectId, bytes.byteLength)
      await depot.write(objectId, 0, bytes)
      await depot.finalize(objectId)
      expect(await depot.state(objectId)).toBe(ObjectState.READABLE)
      expect(await depot.read(objectId, 0, bytes.byteLength)).toEqual(bytes)
    } finally {
      await depot.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
