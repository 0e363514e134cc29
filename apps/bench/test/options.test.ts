import { describe, expect, it } from 'vitest'
import { isFullRun, parseOptions } from '../src/options.js'

describe('parseOptions', () => {
  it('defaults to a full run of everything', () => {
    const o = parseOptions([], {})
    expect(o).toMatchObject({ suites: [], parts: [], quick: false, scale: 1, maxEntries: 10_000_000, pointSeconds: 1, charts: true })
    expect(isFullRun(o)).toBe(true)
  })

  it('reads suites, --quick and comma-separated --curve parts', () => {
    const o = parseOptions(['wal', '--quick', '--curve', 'concurrency,latency', 'mvcc'], {})
    expect(o).toMatchObject({ suites: ['wal', 'mvcc'], parts: ['concurrency', 'latency'], quick: true, scale: 0.1, maxEntries: 100_000 })
    expect(isFullRun(o)).toBe(false)
  })

  it('lets QUIRE_BENCH_SCALE and --max-entries override the quick sizes', () => {
    const o = parseOptions(['--quick', '--max-entries', '1000000'], { QUIRE_BENCH_SCALE: '0.5' })
    expect(o.scale).toBe(0.5)
    expect(o.maxEntries).toBe(1_000_000)
  })

  it('refuses a non-positive number and an unknown flag', () => {
    expect(() => parseOptions(['--max-entries', '0'], {})).toThrow(RangeError)
    expect(() => parseOptions(['--point-seconds', 'x'], {})).toThrow(RangeError)
    expect(() => parseOptions(['--bogus'], {})).toThrow()
  })
})
