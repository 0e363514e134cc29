import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openModeSuite } from '@quire/test-kit'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend } from '../src/index.js'

type Mode = { createIfMissing?: boolean; errorIfExists?: boolean; readOnly?: boolean }
const kinds = [
  { kind: 'wal', path: (root: string) => join(root, 'store'), backend: (path: string, mode: Mode = {}) => walBackend(path, mode) },
  { kind: 'ndjson', path: (root: string) => join(root, 'events.ndjson'), backend: (path: string, mode: Mode = {}) => ndjsonBackend(path, mode) },
  { kind: 'record-keeper', path: (root: string) => join(root, 'store'), backend: (path: string, mode: Mode = {}) => recordKeeperBackend(path, mode) },
] as const

async function typesOf(store: EventStore): Promise<string[]> {
  const out: string[] = []
  for await (const e of store.readStream('s')) out.push(e.type)
  return out
}

for (const { kind, path, backend } of kinds) {
  openModeSuite<EventStore>({
    name: `EventStore on the ${kind} backend`,
    location: path,
    ...(kind === 'ndjson'
      ? { makeEmpty: (p: string) => writeFile(p, ''), makeForeign: (p: string) => writeFile(join(dirname(p), 'notes.txt'), 'not a log\n') }
      : {}),
    open: (p, mode) => EventStore.open({ backend: backend(p, mode) }),
    close: (store) => store.close(),
    fill: async (p) => {
      const store = await EventStore.open({ backend: backend(p) })
      await store.appendToStream('s', [{ type: 'Opened', data: { n: 1 } }, { type: 'Deposited', data: { n: 2 } }])
      await store.close()
    },
    write: (store, i) => store.appendToStream('s', [{ type: `T${i}`, data: { i } }]),
    read: typesOf,
    readOnlyWrites: (store) => [() => store.appendToStream('s', [{ type: 'X', data: {} }]), () => store.deleteStream('s')],
    unprivileged: {
      reader: fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url)),
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      args: (location) => [kind, location],
      expected: { types: ['Opened', 'Deposited'], append: 'READ_ONLY', writable: 'READ_ONLY' },
    },
  })
}

describe('backend options', () => {
  it('an unknown key is INVALID_ARGUMENT naming it, when the backend is made', () => {
    expect(() => walBackend('/x', { synk: 'none' } as never)).toThrow('walBackend: unknown option "synk"')
    expect(() => ndjsonBackend('/x.ndjson', { synk: 'none' } as never)).toThrow('ndjsonBackend: unknown option "synk"')
    expect(() => recordKeeperBackend('/x', { synk: 'none' } as never)).toThrow('recordKeeperBackend: unknown option "synk"')
    expect(() => walBackend('/x', { readOnly: true, createIfMissing: true })).toThrow(/cannot create/)
  })
})
