import { ExistsError, InvalidArgumentError as SharedInvalidArgumentError, NotFoundError, QuireError, ReadOnlyError as SharedReadOnlyError } from '@quire/errors'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, LockedError, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError, UnsafePathError, VfsError } from '../src/index.js'

describe('vfs errors follow the shared contract of @quire/errors', () => {
  it('errors for shared conditions are the shared classes, with the shared codes', () => {
    expect(InvalidArgumentError).toBe(SharedInvalidArgumentError)
    const notFound = new StoreNotFoundError('/s', 'store', 'nothing there')
    expect(notFound).toBeInstanceOf(NotFoundError)
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', path: '/s', name: 'StoreNotFoundError' })
    const exists = new StoreExistsError('/s', 'store')
    expect(exists).toBeInstanceOf(ExistsError)
    expect(exists.code).toBe('EXISTS')
    const readOnly = new ReadOnlyError('append')
    expect(readOnly).toBeInstanceOf(SharedReadOnlyError)
    expect(readOnly).toMatchObject({ code: 'READ_ONLY', operation: 'append' })
  })

  it('vfs-only errors extend VfsError, a QuireError', () => {
    for (const err of [new LockedError('/d', 1), new PathKindError('/p', 'directory', 'file', 'the store'), new UnsafePathError('..', 'parent')]) {
      expect(err).toBeInstanceOf(VfsError)
      expect(err).toBeInstanceOf(QuireError)
    }
    expect(new LockedError('/d', 1).code).toBe('LOCKED')
  })
})
