// Tests of the list-append history checker itself, on hand-made histories: each one contains
// exactly the anomaly it is named for, so the checker is shown to be able to fail.
import { describe, expect, it } from 'vitest'
import { checkListAppend, type ListAppendTxn } from '../src/index.js'

const ok = (...ops: ListAppendTxn['ops']): ListAppendTxn => ({ status: 'ok', ops })
const fail = (...ops: ListAppendTxn['ops']): ListAppendTxn => ({ status: 'fail', ops })
const info = (...ops: ListAppendTxn['ops']): ListAppendTxn => ({ status: 'info', ops })
const ap = (key: string, value: number) => ({ f: 'append' as const, key, value })
const r = (key: string, ...value: number[]) => ({ f: 'r' as const, key, value })

describe('list-append checker', () => {
  it('accepts a serial history', () => {
    const history = [ok(ap('x', 1), r('y')), ok(r('x', 1), ap('y', 1)), ok(r('x', 1), r('y', 1), ap('x', 2)), ok(r('x', 1, 2))]
    const result = checkListAppend(history, { model: 'serializable' })
    expect(result.anomalies).toEqual([])
    expect(result.valid).toBe(true)
    expect(result.edges).toBeGreaterThan(0)
  })

  it('G0: write cycle (T0 and T1 both append to x and y, orders disagree)', () => {
    const history = [ok(ap('x', 1), ap('y', 1)), ok(ap('x', 2), ap('y', 2)), ok(r('x', 1, 2), r('y', 2, 1))]
    const result = checkListAppend(history, { model: 'read-committed' })
    expect(result.types).toContain('G0')
    expect(result.valid).toBe(false)
    const g0 = result.anomalies.find((a) => a.type === 'G0')!
    expect(g0.cycle!.every((e) => e.type === 'ww')).toBe(true)
  })

  it('G1a: aborted read (T1 reads a value appended by aborted T0)', () => {
    const result = checkListAppend([fail(ap('x', 1)), ok(r('x', 1))], { model: 'read-committed' })
    expect(result.types).toEqual(['G1a'])
    expect(result.valid).toBe(false)
  })

  it('G1b: intermediate read (T1 reads x after the first of T0s two appends)', () => {
    const result = checkListAppend([ok(ap('x', 1), ap('x', 2)), ok(r('x', 1)), ok(r('x', 1, 2))], {
      model: 'read-committed',
    })
    expect(result.types).toContain('G1b')
    expect(result.valid).toBe(false)
  })

  it('G1c: circular information flow (T0 reads T1s append and T1 reads T0s)', () => {
    const history = [ok(ap('x', 1), r('y', 1)), ok(ap('y', 1), r('x', 1))]
    const result = checkListAppend(history, { model: 'read-committed' })
    expect(result.types).toEqual(['G1c'])
    const cycle = result.anomalies[0]!.cycle!
    expect(cycle.map((e) => e.type).sort()).toEqual(['wr', 'wr'])
  })

  it('G-single: read skew (T0 sees T1s append to y but not its append to x)', () => {
    const history = [ok(r('x'), r('y', 1)), ok(ap('x', 1), ap('y', 1)), ok(r('x', 1))]
    const si = checkListAppend(history, { model: 'snapshot-isolation' })
    expect(si.types).toEqual(['G-single'])
    expect(si.valid).toBe(false)
    expect(si.anomalies[0]!.cycle!.filter((e) => e.type === 'rw')).toHaveLength(1)
  })

  it('G2-item: write skew (T0 and T1 each read what the other appends to, neither sees the other)', () => {
    const history = [ok(r('x'), ap('y', 1)), ok(r('y'), ap('x', 1)), ok(r('x', 1), r('y', 1))]
    const si = checkListAppend(history, { model: 'snapshot-isolation' })
    expect(si.types).toEqual(['G2-item'])
    expect(si.valid).toBe(true) // snapshot isolation allows write skew
    const ser = checkListAppend(history, { model: 'serializable' })
    expect(ser.valid).toBe(false)
    expect(ser.forbiddenFound).toEqual(['G2-item'])
    expect(ser.anomalies[0]!.cycle!.filter((e) => e.type === 'rw')).toHaveLength(2)
  })

  it('names the worst cycle in a component: G-single beats G2-item', () => {
    // T0 -rw(x)-> T1 -wr(y)-> T0 is G-single; T0 -rw(z)-> T2 -rw(w)-> T0 is G2-item; same component.
    const history = [
      ok(r('x'), r('y', 1), r('z'), ap('w', 1)),
      ok(ap('x', 1), ap('y', 1)),
      ok(r('w'), ap('z', 1)),
      ok(r('x', 1), r('z', 1), r('w', 1)),
    ]
    expect(checkListAppend(history, { model: 'snapshot-isolation' }).forbiddenFound).toEqual(['G-single'])
  })

  it('incompatible order: two reads of x that are not prefixes of one another', () => {
    const result = checkListAppend([ok(ap('x', 1)), ok(ap('x', 2)), ok(r('x', 1, 2)), ok(r('x', 2, 1))])
    expect(result.types).toContain('incompatible-order')
    expect(result.valid).toBe(false)
  })

  it('garbage read: a value nobody appended', () => {
    expect(checkListAppend([ok(r('x', 99))]).types).toEqual(['garbage-read'])
  })

  it('duplicate append of one value to one key', () => {
    expect(checkListAppend([ok(ap('x', 1)), ok(ap('x', 1))]).types).toEqual(['duplicate-append'])
  })

  it('internal: a transaction that does not see its own append', () => {
    expect(checkListAppend([ok(r('x'), ap('x', 1), r('x'))]).types).toEqual(['internal'])
  })

  it('info transactions count when observed, failed ones never do', () => {
    // T0's outcome is unknown but T1 and T2 observed its appends: T0 -wr(x)-> T1 -ww(y)-> T0.
    const history = [info(ap('x', 1), ap('y', 1)), ok(ap('y', 2), r('x', 1)), ok(r('y', 2, 1))]
    expect(checkListAppend(history).types).toEqual(['G1c'])
    // The same shape with T0 failed: aborted reads, and T0 is not in the graph.
    const aborted = [fail(ap('x', 1), ap('y', 1)), ok(ap('y', 2), r('x', 1)), ok(r('y', 2, 1))]
    expect(checkListAppend(aborted).types).toEqual(['G1a'])
  })

  it('G-single-realtime: a stale read (T1 began after T0 completed, yet misses its append)', () => {
    const history: ListAppendTxn[] = [
      { status: 'ok', ops: [ap('x', 1)], invokedAt: 0, completedAt: 1 },
      { status: 'ok', ops: [r('x')], invokedAt: 2, completedAt: 3 },
      { status: 'ok', ops: [r('x', 1)], invokedAt: 4, completedAt: 5 },
    ]
    expect(checkListAppend(history, { model: 'serializable' }).valid).toBe(true)
    const strict = checkListAppend(history, { model: 'strict-serializable' })
    expect(strict.forbiddenFound).toEqual(['G-single-realtime'])
    expect(strict.anomalies[0]!.cycle!.map((e) => e.type).sort()).toEqual(['rt', 'rw'])
    expect(checkListAppend(history, { model: 'strong-snapshot-isolation' }).valid).toBe(false)
    // Overlapping in time, the same reads are fine.
    const overlapping = history.map((t, i) => (i === 1 ? { ...t, invokedAt: 0.5 } : t))
    expect(checkListAppend(overlapping, { model: 'strict-serializable' }).valid).toBe(true)
  })
})
