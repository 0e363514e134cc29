// A generated workload of event-store operations for the crash properties, and the checks of a
// recovered store against what was issued and acknowledged.
import { fc } from '@quire/test-kit'
import { expect } from 'vitest'
import type { EventStore } from '../src/event-store.js'
import type { AppendResult, EventData, ExpectedRevision, RecordedEvent } from '../src/types.js'
import { uuid } from './parts.js'

const STREAMS = ['acc-1', 'acc-2', 'acc-3'] as const

export type Op =
  | { readonly kind: 'append'; readonly stream: string; readonly count: number; readonly expected: 'any' | 'no_stream' }
  | { readonly kind: 'multi'; readonly streams: readonly [string, string] }
  | { readonly kind: 'meta'; readonly stream: string; readonly which: 'metadata' | 'delete' }

const arbStream = fc.constantFrom(...STREAMS)
export const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('append' as const), stream: arbStream, count: fc.integer({ min: 1, max: 3 }), expected: fc.constantFrom('any' as const, 'any' as const, 'no_stream' as const) }),
  },
  {
    weight: 2,
    arbitrary: fc.shuffledSubarray([...STREAMS], { minLength: 2, maxLength: 2 }).map((s) => ({ kind: 'multi' as const, streams: [s[0]!, s[1]!] as const })),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('meta' as const), stream: arbStream, which: fc.constantFrom('metadata' as const, 'delete' as const) }) },
)
/** Waves of operations; the operations of a wave run concurrently. */
export const arbWaves = fc.array(fc.array(arbOp, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 })

interface Request {
  readonly streamName: string
  readonly events: EventData[]
  readonly expectedRevision: ExpectedRevision
}

/** What became of one append or multi-append. */
export interface IssuedAppend {
  readonly kind: 'append' | 'multi'
  readonly requests: readonly Request[]
  results?: readonly AppendResult[]
  error?: unknown
}

export interface IssuedMeta {
  readonly kind: 'meta'
  readonly stream: string
  position?: bigint
  error?: unknown
}

export type Issued = IssuedAppend | IssuedMeta

let n = 0
function event(): EventData {
  const i = ++n
  return i % 3 === 0
    ? { id: uuid(), type: 'Deposited', data: { amount: i, at: new Date(1_700_000_000_000 + i) }, metadata: { correlationId: `c-${i}` } }
    : { id: uuid(), type: 'Withdrawn', data: { amount: -i, note: 'x'.repeat(i % 50) } }
}

/** Issues `op` on `store`; the returned record is filled in as it settles. */
export function issue(store: EventStore, op: Op): { issued: Issued; settled: Promise<void> } {
  if (op.kind === 'meta') {
    const issued: IssuedMeta = { kind: 'meta', stream: op.stream }
    const p = op.which === 'delete' ? store.deleteStream(op.stream) : store.setStreamMetadata(op.stream, { maxCount: 5 })
    return { issued, settled: p.then((r) => void (issued.position = r.position), (err: unknown) => void (issued.error = err)) }
  }
  const requests: Request[] =
    op.kind === 'append'
      ? [{ streamName: op.stream, events: Array.from({ length: op.count }, event), expectedRevision: op.expected }]
      : op.streams.map((s) => ({ streamName: s, events: [event()], expectedRevision: 'any' as const }))
  const issued: IssuedAppend = { kind: op.kind, requests }
  return { issued, settled: submit(store, issued).then((r) => void (issued.results = r), (err: unknown) => void (issued.error = err)) }
}

/** Runs the waves one after the other, the operations of a wave concurrently. */
export async function runWaves(store: EventStore, waves: readonly (readonly Op[])[]): Promise<Issued[]> {
  const all: Issued[] = []
  for (const wave of waves) {
    const settled: Promise<void>[] = []
    for (const op of wave) {
      const { issued, settled: s } = issue(store, op)
      all.push(issued)
      settled.push(s)
    }
    await Promise.all(settled)
  }
  return all
}

/** Sends an append again, with `expectedRevision` replaced by `expected` when given. */
export async function submit(store: EventStore, op: IssuedAppend, expected?: ExpectedRevision): Promise<readonly AppendResult[]> {
  const reqs = op.requests.map((r) => ({ ...r, expectedRevision: expected ?? r.expectedRevision }))
  if (op.kind === 'append') {
    const r = reqs[0]!
    return [await store.appendToStream(r.streamName, r.events, { expectedRevision: r.expectedRevision })]
  }
  return (await store.multiStreamAppend(reqs)).results
}

export async function readEverything(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of store.readAll({ filter: { includeSystem: true } })) out.push(e)
  return out
}

/** A comparable digest of a store's `$all`. */
export async function digest(store: EventStore): Promise<string[]> {
  return (await readEverything(store)).map((e) => `${e.position} ${e.streamName}@${e.revision} ${e.id} ${e.type}`)
}

/**
 * The log's own invariants: positions 1..n with no hole, every stream's revisions 0..k with no
 * hole, ids unique, every user event one that was issued.
 */
export function checkLogShape(all: readonly RecordedEvent[], issued: readonly Issued[]): Map<string, RecordedEvent> {
  expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)))
  const next = new Map<string, number>()
  for (const e of all) {
    expect(e.revision).toBe(next.get(e.streamName) ?? 0)
    next.set(e.streamName, e.revision + 1)
  }
  const byId = new Map(all.map((e) => [e.id, e]))
  expect(byId.size).toBe(all.length)
  const issuedIds = new Set(issued.flatMap((op) => (op.kind === 'meta' ? [] : op.requests.flatMap((r) => r.events.map((e) => e.id)))))
  for (const e of all) if (!e.streamName.startsWith('$')) expect(issuedIds.has(e.id)).toBe(true)
  return byId
}

/**
 * Every append whole or absent (and, when `durable`, present if acknowledged); its events equal
 * to what was sent, at consecutive positions (one commit); when `resultsHold` (no position was
 * given twice since), found where its result said. Returns the appends found in the log.
 */
export function checkAppends(
  byId: ReadonlyMap<string, RecordedEvent>,
  issued: readonly Issued[],
  options: { readonly durable: boolean; readonly resultsHold: boolean },
): { present: IssuedAppend[]; absent: IssuedAppend[] } {
  const { durable, resultsHold } = options
  const present: IssuedAppend[] = []
  const absent: IssuedAppend[] = []
  for (const op of issued) {
    if (op.kind === 'meta') {
      if (durable && resultsHold && op.position !== undefined) {
        const sys = [...byId.values()].find((e) => e.position === op.position)
        expect(sys?.streamName).toBe(`$$${op.stream}`)
      }
      continue
    }
    const sent = op.requests.flatMap((r) => r.events.map((e) => ({ r, e })))
    const found = sent.map(({ e }) => byId.get(e.id!))
    const count = found.filter((f) => f !== undefined).length
    expect([0, sent.length]).toContain(count)
    if (durable && op.results !== undefined) expect(count).toBe(sent.length)
    if (count === 0) {
      absent.push(op)
      continue
    }
    present.push(op)
    const first = found[0]!.position
    found.forEach((f, i) => {
      const { r, e } = sent[i]!
      expect(f!.position).toBe(first + BigInt(i))
      expect(f!.streamName).toBe(r.streamName)
      expect(f!.type).toBe(e.type)
      expect(f!.data).toEqual(e.data)
      expect(f!.metadata).toEqual(e.metadata)
    })
    if (resultsHold && op.results !== undefined) {
      let i = 0
      op.requests.forEach((r, j) => {
        i += r.events.length
        const last = found[i - 1]!
        expect(op.results![j]).toEqual({ nextExpectedRevision: last.revision, position: last.position, idempotentReplay: false })
      })
    }
  }
  return { present, absent }
}
