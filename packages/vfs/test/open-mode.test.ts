import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  checkOptionKeys,
  enforceOpenMode,
  expectPathKind,
  NodeFileSystem,
  PathKindError,
  resolveOpenMode,
  StoreExistsError,
  StoreNotFoundError,
  storePathState,
  type FileSystem,
} from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const invalid = (message: string): Error => Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' })

describe('resolveOpenMode', () => {
  it('defaults: create if missing, no error if it exists, read-write', () => {
    expect(resolveOpenMode({}, invalid)).toEqual({ createIfMissing: true, errorIfExists: false, readOnly: false })
  })
  it('readOnly never creates', () => {
    expect(resolveOpenMode({ readOnly: true }, invalid)).toEqual({ createIfMissing: false, errorIfExists: false, readOnly: true })
  })
  it('refuses non-booleans and contradictions with INVALID_ARGUMENT naming the option', () => {
    expect(() => resolveOpenMode({ createIfMissing: 'no' } as never, invalid)).toThrow(/createIfMissing must be a boolean, got "no"/)
    expect(() => resolveOpenMode({ readOnly: 1 } as never, invalid)).toThrow(/readOnly must be a boolean/)
    expect(() => resolveOpenMode({ readOnly: true, createIfMissing: true }, invalid)).toThrow(/cannot create/)
    expect(() => resolveOpenMode({ readOnly: true, errorIfExists: true }, invalid)).toThrow(/never open/)
  })
})

describe('checkOptionKeys', () => {
  it('names the first unknown key, accepts known ones and undefined', () => {
    expect(() => checkOptionKeys({ sync: 'none' }, ['sync'], 'X.open', invalid)).not.toThrow()
    expect(() => checkOptionKeys(undefined, ['sync'], 'X.open', invalid)).not.toThrow()
    expect(() => checkOptionKeys({ synk: 'none' }, ['sync'], 'X.open', invalid)).toThrow('X.open: unknown option "synk"')
  })
  it('refuses options that throw when read (a Proxy, a getter) with INVALID_ARGUMENT, the throw as cause', () => {
    const boom = new Error('boom')
    const proxy = new Proxy({}, { ownKeys: () => { throw boom } })
    let err: unknown
    try {
      checkOptionKeys(proxy, ['sync'], 'X.open', invalid)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'X.open: options could not be read: boom', cause: boom })
    const getter = Object.defineProperty({}, 'readOnly', { get: () => { throw boom }, enumerable: true })
    expect(() => resolveOpenMode(getter, invalid)).toThrow('readOnly could not be read: boom')
  })

  it('refuses options that are not a plain object', () => {
    for (const bad of [null, 'sync', 3, ['sync']]) expect(() => checkOptionKeys(bad, ['sync'], 'X.open', invalid)).toThrow(/options must be an object/)
  })
})

async function realDir(): Promise<{ fs: FileSystem; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-open-mode-'))
  dirs.push(dir)
  return { fs: new NodeFileSystem(), dir }
}

async function simDir(): Promise<{ fs: FileSystem; dir: string }> {
  const fs = new SimFileSystem()
  await fs.mkdir('/t')
  return { fs, dir: '/t' }
}

describe.each([
  ['the real disk', realDir],
  ['the simulated disk', simDir],
])('storePathState and enforceOpenMode on %s', (_name, setup) => {
  it('missing, empty and present directories', async () => {
    const { fs, dir } = await setup()
    const store = join(dir, 'store')
    expect(await storePathState(fs, store, 'directory', 'the store')).toBe('missing')
    await fs.mkdir(store)
    expect(await storePathState(fs, store, 'directory', 'the store')).toBe('empty')
    await fs.writeFile(join(store, 'data'), new Uint8Array([1]))
    expect(await storePathState(fs, store, 'directory', 'the store')).toBe('present')
  })

  it('missing, empty and present files', async () => {
    const { fs, dir } = await setup()
    const file = join(dir, 'log.ndjson')
    expect(await storePathState(fs, file, 'file', 'the log')).toBe('missing')
    await fs.writeFile(file, new Uint8Array(0))
    expect(await storePathState(fs, file, 'file', 'the log')).toBe('empty')
    await fs.writeFile(file, new Uint8Array([1]))
    expect(await storePathState(fs, file, 'file', 'the log')).toBe('present')
  })

  it('a parent that is a file is a PathKindError naming it, not a bare ENOTDIR', async () => {
    const { fs, dir } = await setup()
    const plain = join(dir, 'plain-file.txt')
    await fs.writeFile(plain, new TextEncoder().encode('hello\n'))
    for (const path of [join(plain, 'sub'), join(plain, 'a', 'b')]) {
      const err = await storePathState(fs, path, 'directory', "the write-ahead log's directory").catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PathKindError)
      expect(err).toMatchObject({ code: 'ENOTDIR', path, blockedBy: plain, found: 'file' })
      expect((err as Error).message).toBe(`expected the write-ahead log's directory (a directory) at ${path}, but ${plain} is a file, not a directory; nothing was changed`)
    }
    await expect(expectPathKind(fs, plain, 'directory', 'the store')).rejects.toMatchObject({ code: 'ENOTDIR', blockedBy: undefined })
  })
})

describe('enforceOpenMode', () => {
  const modes = {
    default: resolveOpenMode({}, invalid),
    noCreate: resolveOpenMode({ createIfMissing: false }, invalid),
    errorIfExists: resolveOpenMode({ errorIfExists: true }, invalid),
    readOnly: resolveOpenMode({ readOnly: true }, invalid),
  }
  it('creates only where allowed; NOT_FOUND otherwise', () => {
    for (const state of ['missing', 'empty'] as const) {
      expect(() => enforceOpenMode(modes.default, state, '/x', 'the store')).not.toThrow()
      expect(() => enforceOpenMode(modes.errorIfExists, state, '/x', 'the store')).not.toThrow()
      for (const mode of [modes.noCreate, modes.readOnly]) {
        const err = (() => {
          try {
            enforceOpenMode(mode, state, '/x', 'the store')
          } catch (e) {
            return e
          }
        })()
        expect(err).toBeInstanceOf(StoreNotFoundError)
        expect(err).toMatchObject({ code: 'NOT_FOUND', path: '/x' })
      }
    }
  })
  it('EXISTS only with errorIfExists', () => {
    expect(() => enforceOpenMode(modes.errorIfExists, 'present', '/x', 'the store')).toThrow(StoreExistsError)
    for (const mode of [modes.default, modes.noCreate, modes.readOnly]) expect(() => enforceOpenMode(mode, 'present', '/x', 'the store')).not.toThrow()
  })
})

describe('expectPathKind on a real file', () => {
  it('still reports a file where a directory belongs', async () => {
    const { fs, dir } = await realDir()
    const plain = join(dir, 'f')
    await writeFile(plain, 'x')
    await expect(expectPathKind(fs, plain, 'directory', 'the store')).rejects.toThrow(`expected the store (a directory) at ${plain}, found a file; nothing was changed`)
  })
})
