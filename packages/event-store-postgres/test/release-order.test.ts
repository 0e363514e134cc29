import { checkProperty, fc } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { ReleaseOrder } from '../src/release-order.js'

/**
 * A model of one process's writes against the database: each write is sent (`begin`), gets its
 * transaction id at some point while in flight (ids are handed out in increasing order, as
 * PostgreSQL does), commits, and its answer arrives in any order. Some writes write nothing
 * (refused, failed, replayed). Whatever the interleaving, ReleaseOrder must hand writes back in
 * position order, and every write once all have answered.
 */
type Step = { kind: 'begin' } | { kind: 'assign'; pick: number } | { kind: 'answer'; pick: number; writes: boolean }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'begin' }),
  fc.record({ kind: fc.constant('assign' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), writes: fc.boolean() }),
)

describe('ReleaseOrder', () => {
  it('releases answered writes in position order, whatever order the answers come in', async () => {
    await checkProperty(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 120 }), async (steps) => {
        const order = new ReleaseOrder()
        let nextXid = 1n
        const sent: { ticket: number; xid: bigint | undefined }[] = []
        const released: bigint[] = []
        const pending: Promise<void>[] = []
        let step = 0
        const answer = (w: { ticket: number; xid: bigint | undefined }, writes: boolean): void => {
          step++
          // A write gets its id by the time it commits at the latest.
          const xid = w.xid ?? nextXid++
          const position = writes ? (xid << 16n) | 3n : undefined
          // The answer also says which id the server would hand out next (a snapshot's xmax).
          const next = step % 3 === 0 ? undefined : nextXid
          pending.push(order.answered(w.ticket, position, next).then(() => void (position !== undefined && released.push(position))))
        }
        for (const step of steps) {
          if (step.kind === 'begin') {
            sent.push({ ticket: order.begin(), xid: undefined })
          } else if (sent.length > 0) {
            const i = step.pick % sent.length
            const w = sent[i]!
            if (step.kind === 'assign') {
              w.xid ??= nextXid++
            } else {
              sent.splice(i, 1)
              answer(w, step.writes)
            }
          }
          // Let releases happen between steps, as between network packets.
          await Promise.resolve()
        }
        for (const w of sent.splice(0)) answer(w, true)
        await Promise.all(pending)
        expect(released).toEqual([...released].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
        expect(new Set(released).size).toBe(released.length)
      }),
      { numRuns: 300 },
    )
  })

  it('holds a write back until every write in flight at its answer has answered', async () => {
    const order = new ReleaseOrder()
    const a = order.begin()
    const b = order.begin()
    const released: string[] = []
    // b (position 20) answers first, while a is in flight: a may still get a smaller position.
    const pb = order.answered(b, 20n).then(() => released.push('b'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(released).toEqual([])
    const pa = order.answered(a, 10n).then(() => released.push('a'))
    await Promise.all([pa, pb])
    expect(released).toEqual(['a', 'b'])
  })
})
