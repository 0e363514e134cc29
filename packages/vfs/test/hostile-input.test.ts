import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertSafeSegment, safeJoin, writeFileAtomic } from '../src/index.js'
import { SimFileSystem } from '../src/sim/index.js'

// The test kit's hostile values (tooling/test-kit/src/hostile.ts) cannot be imported here: the kit
// depends on this package. A smaller zoo of the same kinds.
function arbHostile(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(undefined, null, Number.NaN, -0, Number.POSITIVE_INFINITY, 2 ** 53, 10n, true, Symbol('s'), '', '.', '..', '/', 'a/b', 'a\\b', 'a\u0000b', '\uD800', 'x'.repeat(300), '../../etc/passwd'),
    fc.constantFrom(
      () => Object.create(null) as unknown,
      () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
      () => {
        const a: unknown[] = []
        a.length = 2 ** 32 - 1
        return a
      },
      () => ({ toString: (): never => { throw new Error('hostile toString') } }),
      () => new Uint8Array(4),
    ).map((make) => make()),
    fc.string({ unit: 'binary', maxLength: 12 }),
  )
}

const ROOT = '/store'

describe('hostile input: typed errors, and no path ever leaves its root', () => {
  it('safeJoin and assertSafeSegment: INVALID_PATH, or a path inside the root', () => {
    fc.assert(
      fc.property(arbHostile(), arbHostile(), (a, b) => {
        for (const segments of [[a], [a, b], ['ok', a]]) {
          let joined: string | undefined
          try {
            joined = safeJoin(ROOT, ...(segments as string[]))
          } catch (err) {
            expect((err as { code?: unknown }).code, String(err)).toBe('INVALID_PATH')
          }
          if (joined !== undefined) {
            expect(joined.startsWith(`${ROOT}/`)).toBe(true)
            // Written as is: no lone surrogate that the file system would turn into U+FFFD.
            expect(Buffer.from(joined, 'utf8').toString('utf8')).toBe(joined)
          }
        }
        try {
          assertSafeSegment(a as string)
        } catch (err) {
          expect((err as { code?: unknown }).code).toBe('INVALID_PATH')
        }
      }),
      { numRuns: 500 },
    )
  })

  it('writeFileAtomic with hostile data: refused, and no temp file is left', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir(ROOT)
    await fc.assert(
      fc.asyncProperty(arbHostile(), async (data) => {
        try {
          await writeFileAtomic(fs, `${ROOT}/file`, data as Uint8Array)
          expect(data).toBeInstanceOf(Uint8Array)
        } catch (err) {
          expect(typeof (err as { code?: unknown }).code, String(err)).toBe('string')
        }
        expect((await fs.readdir(ROOT)).filter((n) => n !== 'file')).toEqual([])
      }),
      { numRuns: 200 },
    )
  })
})
