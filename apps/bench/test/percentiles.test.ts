import { describe, expect, it } from 'vitest'
import { percentile, summarise } from '../src/percentiles.js'

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1)

  it('picks the smallest sample with at least q of the samples at or below it', () => {
    expect(percentile(hundred, 0.5)).toBe(50)
    expect(percentile(hundred, 0.99)).toBe(99)
    expect(percentile(hundred, 1)).toBe(100)
    expect(percentile(hundred, 0)).toBe(1)
    expect(percentile([7], 0.999)).toBe(7)
  })

  it('gives p99.9 of 1000 samples as the 999th, a measured value', () => {
    const thousand = Array.from({ length: 1000 }, (_, i) => i * 0.5)
    expect(percentile(thousand, 0.999)).toBe(998 * 0.5)
  })

  it('refuses no samples and quantiles outside [0, 1]', () => {
    expect(() => percentile([], 0.5)).toThrow(RangeError)
    expect(() => percentile(hundred, 1.5)).toThrow(RangeError)
    expect(() => percentile(hundred, Number.NaN)).toThrow(RangeError)
  })
})

describe('summarise', () => {
  it('sorts numerically, not as strings', () => {
    const s = summarise([10, 9, 100, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(s.count).toBe(11)
    expect(s.p50).toBe(6)
    expect(s.p99).toBe(100)
    expect(s.max).toBe(100)
  })
})
