import { describe, expect, it } from 'vitest'
import {
  ClosedError,
  CorruptError,
  errnoOf,
  ExistsError,
  InvalidArgumentError,
  isQuireError,
  NotFoundError,
  OverloadedError,
  PoisonedError,
  QuireError,
  ReadOnlyError,
  UnsupportedVersionError,
  WriteFailedError,
} from '../src/index.js'

describe('shared condition classes', () => {
  it('carry their stable code, are QuireErrors, and are named for the concrete class', () => {
    const cases: [QuireError, string][] = [
      [new InvalidArgumentError('x'), 'INVALID_ARGUMENT'],
      [new ClosedError(), 'CLOSED'],
      [new PoisonedError('x'), 'POISONED'],
      [new WriteFailedError('x'), 'WRITE_FAILED'],
      [new CorruptError('x'), 'CORRUPT'],
      [new UnsupportedVersionError('x'), 'UNSUPPORTED_VERSION'],
      [new OverloadedError('x', { limit: 'maxQueuedBytes', max: 1, queuedOperations: 2, queuedBytes: 3 }), 'OVERLOADED'],
      [new ReadOnlyError('x'), 'READ_ONLY'],
      [new NotFoundError('x'), 'NOT_FOUND'],
      [new ExistsError('x'), 'EXISTS'],
    ]
    for (const [err, code] of cases) {
      expect(err.code).toBe(code)
      expect(err).toBeInstanceOf(QuireError)
      expect(err).toBeInstanceOf(Error)
      expect(err.name).toBe(err.constructor.name)
      expect(isQuireError(err, code)).toBe(true)
    }
  })

  it('a package subclass keeps the shared code and class and takes its own name', () => {
    class SegmentCorruptError extends CorruptError {
      constructor(readonly segment: string) {
        super(`corrupt in ${segment}`)
      }
    }
    const err = new SegmentCorruptError('1.wal')
    expect(err).toBeInstanceOf(CorruptError)
    expect(err.code).toBe('CORRUPT')
    expect(err.name).toBe('SegmentCorruptError')
    expect(err.segment).toBe('1.wal')
  })

  it('WriteFailedError takes errno from its cause; PoisonedError keeps its cause', () => {
    const cause = Object.assign(new Error('no space'), { code: 'ENOSPC' })
    expect(new WriteFailedError('write failed', { cause }).errno).toBe('ENOSPC')
    expect(new WriteFailedError('write failed', { cause: new Error('plain') }).errno).toBeUndefined()
    expect(new PoisonedError('sync failed', { cause }).cause).toBe(cause)
    expect(errnoOf(null)).toBeUndefined()
    expect(errnoOf({ code: 5 })).toBeUndefined()
  })

  it('OverloadedError carries the bound it met', () => {
    const err = new OverloadedError('busy', { limit: 'maxQueuedOperations', max: 10, queuedOperations: 10, queuedBytes: 99 })
    expect([err.limit, err.max, err.queuedOperations, err.queuedBytes]).toEqual(['maxQueuedOperations', 10, 10, 99])
  })
})

describe('isQuireError', () => {
  it('refuses what is not a QuireError, and a QuireError of another code', () => {
    expect(isQuireError(new Error('x'))).toBe(false)
    expect(isQuireError(Object.assign(new Error('x'), { code: 'CORRUPT' }), 'CORRUPT')).toBe(false)
    expect(isQuireError({ code: 'CORRUPT', name: 'QuireError' })).toBe(false)
    expect(isQuireError(undefined)).toBe(false)
    expect(isQuireError(new ClosedError(), 'CORRUPT')).toBe(false)
    expect(isQuireError(new ClosedError())).toBe(true)
  })

  it('recognises a QuireError from a second copy of the package (another class named QuireError)', () => {
    class QuireError extends Error {
      readonly code = 'CLOSED'
    }
    class ClosedElsewhere extends QuireError {}
    const err = new ClosedElsewhere('closed')
    expect(err instanceof (QuireError as unknown as typeof Error)).toBe(true)
    expect(isQuireError(err, 'CLOSED')).toBe(true)
  })
})
