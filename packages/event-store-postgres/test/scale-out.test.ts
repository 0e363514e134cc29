import { describe, expect, it } from 'vitest'
import { runChild } from './support/children.js'
import { checkLog, digestOf, isAck, readAllEvents } from './support/checks.js'
import { freshSchema, openStore, pgUrl } from './support/stores.js'

describe('scale-out: several processes on one store', () => {
  it('4 writer processes and 2 subscriber processes: totals, per-stream revisions and what the subscribers saw check out', async () => {
    const schema = freshSchema('scale')
    const url = pgUrl()
    const store = await openStore(schema) // migrates
    try {
      const subscribers = [0, 1].map(() => runChild('subscriber-child', [url, schema]))
      await Promise.all(subscribers.map((s) => s.waitFor(() => true)))
      const writers = [1, 2, 3, 4].map((w) => runChild('writer-child', [url, schema, String(w), '3000', '4', '4']))
      const lines = (await Promise.all(writers.map((w) => w.done))).flat()
      await store.appendToStream('control', { type: 'stop', data: {} })
      const summaries = (await Promise.all(subscribers.map((s) => s.done))).map((l) => l.at(-1) as { count: number; digest: string; ordered: boolean; unique: boolean })

      const all = (await readAllEvents(store)).filter((e) => e.type !== 'stop')
      const acks = lines.filter(isAck)
      const conflicts = lines.reduce<number>((n, l) => n + ((l as { conflicts?: number }).conflicts ?? 0), 0)
      expect(acks.length).toBeGreaterThan(100)
      // Totals: exactly the acknowledged events, nothing else, nothing lost.
      expect(all.length).toBe(acks.reduce((n, a) => n + a.ids.flat().length, 0))
      checkLog(all, acks)
      // Streams read back whole: revisions 0..n-1 in each.
      for (const name of new Set(all.map((e) => e.streamName))) {
        const revisions: number[] = []
        for await (const e of store.readStream(name)) revisions.push(e.revision)
        expect(revisions).toEqual(revisions.map((_, i) => i))
      }
      // Both subscribers saw exactly $all, in order.
      for (const s of summaries) {
        expect(s).toEqual({ count: all.length, digest: digestOf(all), ordered: true, unique: true })
      }
      // The shared streams really were contended across processes.
      expect(conflicts).toBeGreaterThan(0)
    } finally {
      await store.close()
    }
  })
})
