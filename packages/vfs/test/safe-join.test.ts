import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { resolve, sep } from 'node:path'
import { safeJoin, UnsafePathError } from '@quire/vfs'

describe('safeJoin', () => {
  it('joins plain names', () => {
    expect(safeJoin('/store', 'a', 'b.txt')).toBe('/store/a/b.txt')
  })

  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', '/abs', 'nul\0', 'x'.repeat(256)])('rejects %j', (segment) => {
    expect(() => safeJoin('/store', segment)).toThrow(UnsafePathError)
    try {
      safeJoin('/store', segment)
    } catch (err) {
      expect((err as UnsafePathError).code).toBe('INVALID_PATH')
    }
  })

  it('never yields a path outside the root, for any segments', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 4 }), (segments) => {
        try {
          const joined = resolve(safeJoin('/store', ...segments))
          expect(joined === '/store' || joined.startsWith('/store' + sep)).toBe(true)
        } catch (err) {
          expect(err).toBeInstanceOf(UnsafePathError)
        }
      }),
    )
  })
})
