import { CorruptError, InvalidArgumentError, OverloadedError, PoisonedError, QuireError, ReadOnlyError as SharedReadOnlyError } from '@quire/errors'
import { describe, expect, it } from 'vitest'
import { DepotError, ReadOnlyError, RecordKeeperError } from '../src/index.js'
import { FsStoreError } from '../src/errors.js'

describe('fs-record-keeper errors follow the shared contract of @quire/errors', () => {
  it('a shared code builds the shared class, still an instance of the store class that threw it', () => {
    const cause = Object.assign(new Error('io'), { code: 'EIO' })
    const corrupt = new RecordKeeperError('CORRUPT', 'bad checksum')
    expect(corrupt).toBeInstanceOf(CorruptError)
    expect(corrupt).toBeInstanceOf(RecordKeeperError)
    expect(corrupt).toBeInstanceOf(FsStoreError)
    expect(corrupt).not.toBeInstanceOf(DepotError)
    expect(corrupt).toMatchObject({ code: 'CORRUPT', name: 'RecordKeeperError', message: 'bad checksum' })
    const poisoned = new DepotError('POISONED', 'the write failed', { cause })
    expect(poisoned).toBeInstanceOf(PoisonedError)
    expect(poisoned).toBeInstanceOf(DepotError)
    expect(poisoned).not.toBeInstanceOf(RecordKeeperError)
    expect(poisoned.cause).toBe(cause)
    expect(new DepotError('INVALID_ARGUMENT', 'x')).toBeInstanceOf(InvalidArgumentError)
    expect('cause' in new RecordKeeperError('CORRUPT', 'x')).toBe(false)
  })

  it('OVERLOADED carries its bound; codes only these stores have are the store class itself', () => {
    const overload = { limit: 'maxQueuedOperations', max: 4, queuedOperations: 4, queuedBytes: 40 } as const
    const err = new RecordKeeperError('OVERLOADED', 'busy', { overload })
    expect(err).toBeInstanceOf(OverloadedError)
    expect(err).toMatchObject({ code: 'OVERLOADED', ...overload })
    const notWritable = new DepotError('NOT_WRITABLE', 'readable')
    expect(notWritable).toBeInstanceOf(DepotError)
    expect(notWritable).toBeInstanceOf(QuireError)
    expect(notWritable).not.toBeInstanceOf(CorruptError)
    expect(notWritable).toMatchObject({ code: 'NOT_WRITABLE', name: 'DepotError' })
  })

  it('READ_ONLY is the ReadOnlyError this package exports (vfs\'s, what a writable open of an unwritable folder throws)', () => {
    const err = new RecordKeeperError('READ_ONLY', '/x/rk was opened with readOnly: true; nothing was written')
    expect(err).toBeInstanceOf(ReadOnlyError)
    expect(err).toBeInstanceOf(SharedReadOnlyError)
    expect(err).toBeInstanceOf(RecordKeeperError)
    expect(err).toMatchObject({ code: 'READ_ONLY', name: 'RecordKeeperError', message: '/x/rk was opened with readOnly: true; nothing was written' })
    expect(new DepotError('READ_ONLY', 'x')).toBeInstanceOf(ReadOnlyError)
  })

  it('instanceof stays false for what no store built', () => {
    expect(new CorruptError('x')).not.toBeInstanceOf(RecordKeeperError)
    expect(null).not.toBeInstanceOf(RecordKeeperError)
    expect(new Error('x')).not.toBeInstanceOf(FsStoreError)
  })
})
