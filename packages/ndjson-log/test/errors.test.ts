import { ClosedError as SharedClosedError, CorruptError, InvalidArgumentError as SharedInvalidArgumentError, OverloadedError as SharedOverloadedError, PoisonedError as SharedPoisonedError, QuireError, UnsupportedVersionError as SharedUnsupportedVersionError, WriteFailedError as SharedWriteFailedError } from '@quire/errors'
import { describe, expect, it } from 'vitest'
import { ClosedError, InvalidArgumentError, InvalidRecordError, NdjsonCorruptError, NdjsonLogError, NotNdjsonLogError, OverloadedError, PoisonedError, UnsupportedVersionError, WriteFailedError } from '../src/index.js'

describe('ndjson-log errors follow the shared contract of @quire/errors', () => {
  it('each class for a shared condition is the shared class, with the shared code and its own fields', () => {
    const enospc = Object.assign(new Error('full'), { code: 'ENOSPC' })
    const cases: [QuireError, abstract new (...args: never[]) => QuireError, string][] = [
      [new NdjsonCorruptError('a.ndjson', 3, 'bad checksum'), CorruptError, 'CORRUPT'],
      [new PoisonedError('a.ndjson', enospc), SharedPoisonedError, 'POISONED'],
      [new WriteFailedError('a.ndjson', enospc), SharedWriteFailedError, 'WRITE_FAILED'],
      [new ClosedError('a.ndjson'), SharedClosedError, 'CLOSED'],
      [new OverloadedError('a.ndjson', 'maxQueuedOperations', 1, 1, 10), SharedOverloadedError, 'OVERLOADED'],
      [new UnsupportedVersionError('a.ndjson', 2), SharedUnsupportedVersionError, 'UNSUPPORTED_VERSION'],
    ]
    for (const [err, shared, code] of cases) {
      expect(err).toBeInstanceOf(shared)
      expect(err.code).toBe(code)
    }
    expect(new NdjsonCorruptError('a.ndjson', 3, 'bad checksum')).toMatchObject({ file: 'a.ndjson', line: 3, reason: 'bad checksum' })
    expect(new WriteFailedError('a.ndjson', enospc).errno).toBe('ENOSPC')
    expect(InvalidArgumentError).toBe(SharedInvalidArgumentError)
  })

  it('codes only this package has extend NdjsonLogError, a QuireError', () => {
    for (const err of [new InvalidRecordError('record.x', 'undefined'), new NotNdjsonLogError('a.txt')]) {
      expect(err).toBeInstanceOf(NdjsonLogError)
      expect(err).toBeInstanceOf(QuireError)
    }
  })
})
