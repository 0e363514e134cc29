import { describe, expect, it } from 'vitest'
import { freshSchema, openStore } from './support/stores.js'

describe('smoke', () => {
  it('appends and reads', async () => {
    const store = await openStore(freshSchema('smoke'))
    try {
      const r = await store.appendToStream('s-1', [{ type: 'A', data: { n: 1, at: new Date(5) } }, { type: 'B', data: [1, 'x'], metadata: { c: 1 } }], { expectedRevision: 'no_stream' })
      expect(r.nextExpectedRevision).toBe(1)
      const events = []
      for await (const e of store.readStream('s-1')) events.push(e)
      expect(events.map((e) => e.data)).toEqual([{ n: 1, at: new Date(5) }, [1, 'x']])
      const all = []
      for await (const e of store.readAll()) all.push(e)
      expect(all.map((e) => e.revision)).toEqual([0, 1])
      expect(all[1]!.position).toBe(r.position)
      await expect(store.appendToStream('s-1', { type: 'C', data: {} }, { expectedRevision: 0 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 1 })
      await store.setStreamMetadata('s-1', { maxCount: 1 })
      expect(await store.getStreamMetadata('s-1')).toMatchObject({ metadata: { maxCount: 1 }, metadataRevision: 0 })
      await store.deleteStream('s-1')
      expect(await store.getStreamState('s-1')).toEqual({ state: 'deleted', revision: 1 })
      await store.tombstoneStream('s-1')
      await expect(store.appendToStream('s-1', { type: 'C', data: {} })).rejects.toMatchObject({ code: 'STREAM_DELETED' })
    } finally {
      await store.close()
    }
  })
})
