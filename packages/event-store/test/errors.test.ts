import { ClosedError as SharedClosedError, CorruptError, InvalidArgumentError as SharedInvalidArgumentError, OverloadedError as SharedOverloadedError, PoisonedError, QuireError, ReadOnlyError as SharedReadOnlyError } from '@quire/errors'
import { ReadOnlyError as VfsReadOnlyError } from '@quire/vfs'
import { describe, expect, it } from 'vitest'
import { AppendFailedError, ClosedError, EventStoreCorruptError, EventStoreError, InvalidArgumentError, OverloadedError, ReadOnlyError, StorePoisonedError, WrongExpectedVersionError } from '../src/index.js'
import { isEventStoreError } from '../src/errors.js'

describe('event-store errors follow the shared contract of @quire/errors', () => {
  it('errors for shared conditions are (or extend) the shared classes, with the shared codes', () => {
    expect([InvalidArgumentError, ClosedError]).toEqual([SharedInvalidArgumentError, SharedClosedError])
    const cause = new Error('EIO')
    expect(new StorePoisonedError(cause)).toBeInstanceOf(PoisonedError)
    expect(new StorePoisonedError(cause)).toMatchObject({ code: 'POISONED', cause })
    expect(new EventStoreCorruptError('a hole in positions')).toBeInstanceOf(CorruptError)
    expect(new EventStoreCorruptError('a hole in positions').code).toBe('CORRUPT')
    expect(new OverloadedError('maxQueuedOperations', 1, 1, 5)).toBeInstanceOf(SharedOverloadedError)
    expect(new ReadOnlyError('append')).toBeInstanceOf(SharedReadOnlyError)
  })

  it('one ReadOnlyError: a read-only store refusing a write and a writable open the OS refuses are both instanceof it', () => {
    // What a backend's writable open of an unwritable folder throws (vfs's notWritable on EACCES).
    const refusedOpen = new VfsReadOnlyError('mkdir(/data/store)', 'the OS refuses to write there (EACCES)')
    expect(refusedOpen).toBeInstanceOf(ReadOnlyError)
    expect(new ReadOnlyError('append')).toBeInstanceOf(VfsReadOnlyError)
    expect(ReadOnlyError).toBe(VfsReadOnlyError)
    expect(isEventStoreError(refusedOpen)).toBe(true)
  })

  it('codes only the event store has extend EventStoreError, a QuireError', () => {
    for (const err of [new WrongExpectedVersionError('s', 'no_stream', 3), new AppendFailedError('x')]) {
      expect(err).toBeInstanceOf(EventStoreError)
      expect(err).toBeInstanceOf(QuireError)
    }
  })

  it("the store's own errors pass through wrappers; another package's typed error does not", () => {
    expect(isEventStoreError(new ClosedError())).toBe(true)
    expect(isEventStoreError(new StorePoisonedError(undefined))).toBe(true)
    expect(isEventStoreError(new AppendFailedError('x'))).toBe(true)
    expect(isEventStoreError(new CorruptError('from a codec'))).toBe(false)
    expect(isEventStoreError(new Error('x'))).toBe(false)
  })
})
