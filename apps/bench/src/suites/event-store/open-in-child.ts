import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** The embedded backends, by the name the child script takes. */
export type BackendKind = 'wal' | 'ndjson' | 'record-keeper'

/** What one open in a fresh process measured. */
export interface OpenMeasure {
  /** Wall time of `EventStore.open` (the recovery scan and index build). */
  readonly seconds: number
  /** `heapUsed` after open minus before, both after two full GCs (`--expose-gc`). */
  readonly heapBytes: number
  /** Likewise for `external` (Buffers and other memory outside the JS heap). */
  readonly externalBytes: number
  /** The store's `lastPosition` after open, as a decimal string (a check that it read the whole log). */
  readonly lastPosition: string
}

// The child first opens, writes to and closes a scratch store of the same backend, so the code
// the open runs is loaded and compiled before the measured heap is taken; then it opens the
// measured store. Both heap readings follow two forced GCs, so the delta is what the open store
// keeps reachable (its indexes, caches and handles), not garbage.
const SCRIPT = `
import { EventStore, walBackend, ndjsonBackend, recordKeeperBackend } from '@quire/event-store'
const [kind, path, scratch] = process.argv.slice(1)
const backendOf = (p) => kind === 'wal' ? walBackend(p) : kind === 'ndjson' ? ndjsonBackend(p) : recordKeeperBackend(p)
{
  const warm = await EventStore.open({ backend: backendOf(scratch) })
  await warm.appendToStream('warm-up', [{ type: 'Deposited', data: { amount: 1, currency: 'EUR' } }])
  for await (const _ of warm.readAll()) {}
  await warm.close()
}
const settle = () => { globalThis.gc(); globalThis.gc() }
settle()
const before = process.memoryUsage()
const started = process.hrtime.bigint()
const store = await EventStore.open({ backend: backendOf(path) })
const seconds = Number(process.hrtime.bigint() - started) / 1e9
settle()
const after = process.memoryUsage()
const lastPosition = String(store.lastPosition)
await store.close()
process.stdout.write(JSON.stringify({ seconds, heapBytes: after.heapUsed - before.heapUsed, externalBytes: after.external - before.external, lastPosition }))
`

/**
 * Times `EventStore.open` of the store at `path` in a new Node process started with
 * `--expose-gc`, and measures the memory the open store holds. `scratch` is a path for the
 * child's warm-up store (same backend; must not exist yet).
 */
export async function openInChild(kind: BackendKind, path: string, scratch: string): Promise<OpenMeasure> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--conditions=@quire/source', '--input-type=module', '-e', SCRIPT, kind, path, scratch],
    { cwd: fileURLToPath(new URL('../../..', import.meta.url)), maxBuffer: 1 << 20 },
  )
  return JSON.parse(stdout) as OpenMeasure
}
