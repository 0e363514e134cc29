import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@quire/errors'
import { booleanOption, describeValue, functionOption, integerOption, oneOfOption, optionKeys } from '../src/index.js'

describe('option validators', () => {
  it('integerOption takes an integer in range, the fallback for undefined, and refuses the rest', () => {
    expect(integerOption('n', 5, { min: 1, max: 10 })).toBe(5)
    expect(integerOption('n', undefined, { min: 1, max: 10 }, 7)).toBe(7)
    for (const bad of [0, 11, 1.5, NaN, '5', null, undefined, 2 ** 53, {}]) {
      expect(() => integerOption('n', bad, { min: 1, max: 10 })).toThrow(InvalidArgumentError)
    }
    expect(() => integerOption('maxQueuedBytes', 0, { min: 1, max: 10 })).toThrow('maxQueuedBytes must be an integer in [1, 10], got 0')
  })
  it('oneOfOption takes an allowed string and names the allowed ones', () => {
    expect(oneOfOption('sync', 'none', ['always', 'none'] as const)).toBe('none')
    expect(oneOfOption('sync', undefined, ['always', 'none'] as const, 'always')).toBe('always')
    expect(() => oneOfOption('sync', 'sometimes', ['always', 'none'] as const)).toThrow("sync must be 'always' or 'none', got \"sometimes\"")
    expect(() => oneOfOption('r', 'x', ['a', 'b', 'c'] as const)).toThrow("r must be 'a', 'b' or 'c'")
  })
  it('booleanOption and functionOption', () => {
    expect(booleanOption('b', false, true)).toBe(false)
    expect(booleanOption('b', undefined, true)).toBe(true)
    expect(() => booleanOption('b', 'yes')).toThrow('b must be true or false')
    const f = (): number => 1
    expect(functionOption('now', f)).toBe(f)
    expect(() => functionOption('now', 1)).toThrow('now must be a function, got 1')
  })
  it('a custom factory builds the error', () => {
    class Mine extends Error {}
    expect(() => integerOption('n', -1, { min: 0, max: 1 }, undefined, (m) => new Mine(m))).toThrow(Mine)
  })
  it('describeValue never converts a hostile value', () => {
    const hostile = Object.create(null) as object
    expect(describeValue(hostile)).toBe('a object')
    expect(describeValue(-0)).toBe('-0')
    expect(describeValue(new Array(2 ** 32 - 1))).toBe('an array')
    expect(describeValue('x'.repeat(100))).toHaveLength(43)
  })
})

describe('optionKeys', () => {
  interface Opts {
    readonly fs?: string
    readonly sync?: 'always' | 'none'
  }
  const keys = optionKeys<Opts>()(['fs', 'sync'], 'Thing.open')
  it('accepts known keys and undefined, refuses unknown keys and non-objects', () => {
    expect(() => keys.check({ fs: 'x', sync: 'none' })).not.toThrow()
    expect(() => keys.check(undefined)).not.toThrow()
    expect(() => keys.check({ synk: 'none' })).toThrow('Thing.open: unknown option "synk"')
    expect(() => keys.check([])).toThrow(InvalidArgumentError)
    expect(() => keys.check(null)).toThrow(InvalidArgumentError)
  })
  it('refuses at compile time a list that misses a key', () => {
    // @ts-expect-error 'sync' is missing from the list
    optionKeys<Opts>()(['fs'], 'Thing.open')
    // @ts-expect-error 'synk' is not a key of Opts
    optionKeys<Opts>()(['fs', 'sync', 'synk'], 'Thing.open')
  })
})
