import { describe, expect, it } from 'vitest'
import { goalMet, renderGoals, verdict } from '../src/goals.js'

describe('goals', () => {
  it('judges at-least and at-most goals and says when a goal was not judged', () => {
    const ratio = { goal: 'WAL 1 writer ≥ 1.5× better-sqlite3', target: 1.5, direction: 'atLeast', unit: '×' } as const
    expect(verdict({ ...ratio, measured: 1.5 })).toBe('met')
    expect(verdict({ ...ratio, measured: 0.64 })).toBe('NOT met')
    expect(verdict({ ...ratio, measured: Number.NaN })).toBe('not judged')
    expect(verdict({ ...ratio, measured: 2, judged: false })).toBe('not judged')
    expect(goalMet({ goal: 'open ≤ 1 s', measured: 3.1, target: 1, direction: 'atMost', unit: 's' })).toBe(false)
  })

  it('prints the measured figure and the target', () => {
    const table = renderGoals([{ goal: 'MVCC durable tx/s at 256', measured: 73_400, target: 100_000, direction: 'atLeast', unit: 'tx/s' }])
    expect(table.split('\n')[2]).toBe('| MVCC durable tx/s at 256 | 73.4 k tx/s | ≥ 100.0 k tx/s | NOT met |  |')
  })
})
