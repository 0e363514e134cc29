import type { QuireError } from '@quire/errors'
import { ClosedError, CorruptError, InvalidArgumentError as SharedInvalidArgumentError, OverloadedError, PoisonedError, UnsupportedVersionError, WriteFailedError } from '@quire/errors'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, WalClosedError, WalCorruptError, WalError, WalOverloadedError, WalPoisonedError, WalUnsupportedVersionError, WalWriteError } from '../src/index.js'

describe('wal errors follow the shared contract of @quire/errors', () => {
  it('each class is the shared class of its condition, with the shared code and its own fields', () => {
    const eio = Object.assign(new Error('io'), { code: 'EIO' })
    const cases: [QuireError, abstract new (...args: never[]) => QuireError, string][] = [
      [new WalCorruptError('1.wal', 8, 'bad'), CorruptError, 'CORRUPT'],
      [new WalPoisonedError(eio), PoisonedError, 'POISONED'],
      [new WalWriteError(eio), WriteFailedError, 'WRITE_FAILED'],
      [new WalClosedError(), ClosedError, 'CLOSED'],
      [new WalOverloadedError('maxQueuedBytes', 1, 2, 3), OverloadedError, 'OVERLOADED'],
      [new WalUnsupportedVersionError('1.wal', 2), UnsupportedVersionError, 'UNSUPPORTED_VERSION'],
    ]
    for (const [err, shared, code] of cases) {
      expect(err).toBeInstanceOf(shared)
      expect(err).toBeInstanceOf(WalError)
      expect(err.code).toBe(code)
    }
    expect(new WalCorruptError('1.wal', 8, 'bad')).toMatchObject({ segment: '1.wal', offset: 8, name: 'WalCorruptError' })
    expect(new WalWriteError(eio).errno).toBe('EIO')
    expect(new WalPoisonedError(eio).cause).toBe(eio)
    expect(InvalidArgumentError).toBe(SharedInvalidArgumentError)
  })
})
