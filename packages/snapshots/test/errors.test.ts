import { ClosedError as SharedClosedError, CorruptError, InvalidArgumentError as SharedInvalidArgumentError, OverloadedError as SharedOverloadedError, PoisonedError as SharedPoisonedError, QuireError, UnsupportedVersionError as SharedUnsupportedVersionError, WriteFailedError as SharedWriteFailedError } from '@quire/errors'
import { describe, expect, it } from 'vitest'
import { ClosedError, InvalidArgumentError, OverloadedError, PoisonedError, SnapshotCorruptError, SnapshotError, UnsupportedVersionError, WriteFailedError } from '../src/index.js'

describe('snapshots errors follow the shared contract of @quire/errors', () => {
  it('each class is the shared class of its condition, with the shared code and its own fields', () => {
    expect([InvalidArgumentError, ClosedError, PoisonedError, SnapshotError]).toEqual([SharedInvalidArgumentError, SharedClosedError, SharedPoisonedError, QuireError])
    const eio = Object.assign(new Error('io'), { code: 'EIO' })
    const cases: [QuireError, abstract new (...args: never[]) => QuireError, string][] = [
      [new SnapshotCorruptError('/s/k/1.snap', 'checksum mismatch'), CorruptError, 'CORRUPT'],
      [new UnsupportedVersionError('/s/k/1.snap', 2), SharedUnsupportedVersionError, 'UNSUPPORTED_VERSION'],
      [new WriteFailedError('saving', eio), SharedWriteFailedError, 'WRITE_FAILED'],
      [new OverloadedError('maxQueuedBytes', 1, 1, 2), SharedOverloadedError, 'OVERLOADED'],
    ]
    for (const [err, shared, code] of cases) {
      expect(err).toBeInstanceOf(shared)
      expect(err.code).toBe(code)
    }
    expect(new SnapshotCorruptError('/f', 'bad')).toMatchObject({ file: '/f', reason: 'bad', name: 'SnapshotCorruptError' })
    expect(new WriteFailedError('saving', eio).errno).toBe('EIO')
  })
})
