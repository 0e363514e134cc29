import { ClosedError as SharedClosedError, CorruptError, InvalidArgumentError as SharedInvalidArgumentError, OverloadedError as SharedOverloadedError, PoisonedError, QuireError, ReadOnlyError as SharedReadOnlyError, UnsupportedVersionError as SharedUnsupportedVersionError } from '@quire/errors'
import { ReadOnlyError as VfsReadOnlyError } from '@quire/vfs'
import { describe, expect, it } from 'vitest'
import { ClosedError, CommitFailedError, ConflictError, InvalidArgumentError, MvccCorruptError, MvccError, OverloadedError, ReadOnlyError, TransactionClosedError, TransactionTimeoutError, UnsupportedVersionError } from '../src/index.js'

describe('mvcc errors follow the shared contract of @quire/errors', () => {
  it('errors for shared conditions are (or extend) the shared classes, with the shared codes', () => {
    expect([InvalidArgumentError, ClosedError, UnsupportedVersionError]).toEqual([SharedInvalidArgumentError, SharedClosedError, SharedUnsupportedVersionError])
    const cause = new Error('EIO')
    const failed = new CommitFailedError('writing the commit failed', { cause })
    expect(failed).toBeInstanceOf(PoisonedError)
    expect(failed).toMatchObject({ code: 'POISONED', name: 'CommitFailedError', cause })
    expect(new MvccCorruptError('history is missing')).toBeInstanceOf(CorruptError)
    expect(new MvccCorruptError('history is missing').code).toBe('CORRUPT')
    expect(new ReadOnlyError('put')).toBeInstanceOf(SharedReadOnlyError)
    expect(new ReadOnlyError('put').code).toBe('READ_ONLY')
    // One class for a read-only write and for a writable open the OS refuses (thrown by vfs).
    expect(ReadOnlyError).toBe(VfsReadOnlyError)
    expect(new OverloadedError('maxQueuedBytes', 1, 2, 3)).toBeInstanceOf(SharedOverloadedError)
    expect(new OverloadedError('maxQueuedBytes', 1, 2, 3)).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 1, queuedOperations: 2, queuedBytes: 3 })
  })

  it('codes only mvcc has extend MvccError, a QuireError', () => {
    for (const err of [new ConflictError('k', 'write-write'), new TransactionClosedError(), new TransactionTimeoutError(5)]) {
      expect(err).toBeInstanceOf(MvccError)
      expect(err).toBeInstanceOf(QuireError)
    }
  })
})
