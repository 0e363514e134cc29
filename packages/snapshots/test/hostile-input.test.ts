import { arbHostile, checkProperty, fc, maybeHostile, refusedOrDone as hostileCall } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonCodec } from '@quire/codec'
import { SnapshotStore } from '../src/index.js'

const DIR = '/snaps'
const CODES = ['INVALID_ARGUMENT']
const arbKey = fc.oneof(fc.string({ maxLength: 8 }), arbHostile(), fc.constantFrom('a\uD800', 'a\uFFFD', '__proto__', 'constructor', '.', '..', 'a/b', 'x'.repeat(121)))
const arbInput = fc.oneof(
  arbHostile(),
  fc.record({ position: maybeHostile(fc.nat()), state: fc.oneof(fc.jsonValue({ maxDepth: 2 }), arbHostile()), schemaVersion: fc.option(maybeHostile(fc.nat()), { nil: undefined }) }, { requiredKeys: ['position', 'state'] }),
)

describe('hostile input: a typed error before anything is written, and the store still works', () => {
  const sim = new SimFileSystem()
  let store: SnapshotStore
  beforeAll(async () => {
    store = await SnapshotStore.open(DIR, { fs: sim, codec: jsonCodec })
  })
  afterAll(async () => {
    await store.close()
  })

  const refusedOrDone = (call: () => Promise<unknown>): Promise<'refused' | 'done'> =>
    hostileCall({ fs: sim, dir: DIR, codes: CODES, stillWorks: async () => {
      await store.save('valid', { position: 1, state: { ok: true } })
      expect((await store.load('valid'))?.state).toEqual({ ok: true })
    } }, call)

  it('save(key, input): refused, or the key loads back as itself (two keys never share a snapshot)', async () => {
    await checkProperty(
      fc.asyncProperty(arbKey, arbInput, async (key, input) => {
        const outcome = await refusedOrDone(() => store.save(key as string, input as never))
        if (outcome === 'done') {
          const keys: string[] = []
          for await (const k of store.keys()) keys.push(k)
          expect(keys).toContain(key)
          // A position of -0 is stored as the integer 0 (`+ 0` turns -0 into +0 and leaves the rest).
          expect((await store.load(key as string))?.position).toBe((input as { position: number }).position + 0)
          await store.delete(key as string)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('load(key, options) and delete(key) with hostile arguments', async () => {
    await checkProperty(
      fc.asyncProperty(arbKey, fc.oneof(arbHostile(), fc.record({ maxPosition: maybeHostile(fc.nat()), schemaVersion: maybeHostile(fc.nat()) }, { requiredKeys: [] })), async (key, options) => {
        await refusedOrDone(() => store.load(key as string, options as never))
        await refusedOrDone(() => store.delete(key as string))
      }),
      { numRuns: 150 },
    )
  })

  it('a raw state array changed after save was called: the snapshot holds what was passed', async () => {
    const raw = await SnapshotStore.open('/raw', { fs: sim, codec: 'raw' })
    const state = new Uint8Array([1, 2, 3])
    const saved = raw.save('k', { position: 1, state })
    state.fill(9)
    await saved
    expect(new Uint8Array((await raw.load('k'))!.state as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]))
    await raw.close()
  })
})
