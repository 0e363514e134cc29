/**
 * A deliberately simple model of the event store's semantics, and fast-check commands that run
 * the same operations against a real store and the model and compare every answer.
 *
 * The model is written from the README's rules, not from the LocalDriver: it keeps a list of
 * events per stream and, for the idempotency rule, what the stream showed right before each
 * event was written (recorded at the time, where the driver derives it from delete boundaries).
 *
 * Exported for every backend's model test: `modelCommands({ streams, reopen })` gives the
 * arbitraries; a backend adds its own (crash, then reconcile in-flight appends with
 * {@link EventStoreModel.append} as acknowledged-or-absent) and runs them with
 * `fc.asyncModelRun`.
 */
import { randomUUID } from 'node:crypto'
import { deepEqual, equal } from 'node:assert/strict'
import { fc } from '@quire/test-kit'
import type { AppendResult, EventStore, ExpectedRevision, RecordedEvent, StreamState } from '@quire/event-store'

type Actual = 'no_stream' | number

export interface ModelEvent {
  readonly id: string
  readonly type: string
  readonly data: unknown
  readonly streamName: string
  readonly revision: number
  readonly position: bigint
  /** What the stream showed right before this event was written. */
  readonly actualBefore: Actual
}

interface ModelStream {
  readonly events: ModelEvent[]
  deletedBefore: number | undefined
  tombstoned: boolean
  metadata: { maxCount?: number; truncateBefore?: number } | undefined
  metadataRevision: number
}

export interface ModelRequest {
  readonly streamName: string
  readonly events: readonly { readonly id: string; readonly type: string; readonly data: unknown }[]
  readonly expectedRevision: ExpectedRevision
}

/** An operation's predicted outcome: its results, or the error code it must fail with. */
export type Outcome<T> = { readonly ok: T } | { readonly error: string }

const holds = (expected: ExpectedRevision, actual: Actual): boolean =>
  expected === 'any' ||
  (expected === 'no_stream' ? actual === 'no_stream' : expected === 'stream_exists' ? actual !== 'no_stream' : actual === expected)

export class EventStoreModel {
  readonly streams = new Map<string, ModelStream>()
  /** User events in position order. */
  readonly all: ModelEvent[] = []
  readonly ids = new Map<string, ModelEvent>()
  /** Every append that succeeded (for exact retries). */
  readonly history: ModelRequest[][] = []
  /** Highest position, system events (stream commands) included. */
  lastPosition = 0n

  #stream(name: string): ModelStream {
    let s = this.streams.get(name)
    if (s === undefined) {
      s = { events: [], deletedBefore: undefined, tombstoned: false, metadata: undefined, metadataRevision: -1 }
      this.streams.set(name, s)
    }
    return s
  }

  actual(name: string): Actual {
    const s = this.streams.get(name)
    if (s === undefined) return 'no_stream'
    const last = s.events.length - 1
    return last >= 0 && last >= (s.deletedBefore ?? 0) ? last : 'no_stream'
  }

  /** Predicts an append (one or several streams) and, when it succeeds and writes, applies it. */
  append(requests: readonly ModelRequest[]): Outcome<readonly AppendResult[]> {
    const replays: (AppendResult | undefined)[] = []
    for (const r of requests) {
      if (this.streams.get(r.streamName)?.tombstoned === true) return { error: 'STREAM_DELETED' }
      const hits = r.events.map((e) => this.ids.get(e.id))
      if (hits.every((h) => h === undefined)) {
        replays.push(undefined)
        continue
      }
      const first = hits[0]
      const same =
        first !== undefined &&
        hits.every((h, i) => h !== undefined && h.streamName === r.streamName && h.revision === first.revision + i) &&
        holds(r.expectedRevision, first.actualBefore)
      if (!same) return { error: 'DUPLICATE_EVENT_ID' }
      const last = hits[hits.length - 1]!
      replays.push({ nextExpectedRevision: last.revision, position: last.position, idempotentReplay: true })
    }
    if (replays.every((r) => r !== undefined)) return { ok: replays }
    if (replays.some((r) => r !== undefined)) return { error: 'DUPLICATE_EVENT_ID' }
    for (const r of requests) if (!holds(r.expectedRevision, this.actual(r.streamName))) return { error: 'WRONG_EXPECTED_VERSION' }
    const results = requests.map((r): AppendResult => {
      const s = this.#stream(r.streamName)
      let last: ModelEvent | undefined
      for (const e of r.events) {
        const event: ModelEvent = {
          ...e,
          streamName: r.streamName,
          revision: s.events.length,
          position: ++this.lastPosition,
          actualBefore: this.actual(r.streamName),
        }
        s.events.push(event)
        this.all.push(event)
        this.ids.set(e.id, event)
        last = event
      }
      return { nextExpectedRevision: last!.revision, position: last!.position, idempotentReplay: false }
    })
    this.history.push([...requests])
    return { ok: results }
  }

  /** Soft delete or tombstone. */
  remove(kind: 'delete' | 'tombstone', name: string, expected: ExpectedRevision): Outcome<bigint> {
    const s = this.streams.get(name)
    if (s?.tombstoned === true) return { error: 'STREAM_DELETED' }
    if (!holds(expected, this.actual(name))) return { error: 'WRONG_EXPECTED_VERSION' }
    const t = this.#stream(name)
    if (kind === 'delete') t.deletedBefore = t.events.length
    else t.tombstoned = true
    t.metadataRevision++
    return { ok: ++this.lastPosition }
  }

  setMetadata(name: string, metadata: { maxCount?: number; truncateBefore?: number }, expected: ExpectedRevision): Outcome<number> {
    const s = this.streams.get(name)
    if (s?.tombstoned === true) return { error: 'STREAM_DELETED' }
    const rev = s?.metadataRevision ?? -1
    if (!holds(expected, rev < 0 ? 'no_stream' : rev)) return { error: 'WRONG_EXPECTED_VERSION' }
    const t = this.#stream(name)
    t.metadata = metadata
    this.lastPosition++
    return { ok: ++t.metadataRevision }
  }

  /** What `readStream` (forwards) must give. */
  readStream(name: string): Outcome<readonly ModelEvent[]> {
    const s = this.streams.get(name)
    if (s?.tombstoned === true) return { error: 'STREAM_DELETED' }
    if (s === undefined || this.actual(name) === 'no_stream') return { error: 'STREAM_NOT_FOUND' }
    const last = s.events.length - 1
    const min = Math.max(s.deletedBefore ?? 0, s.metadata?.truncateBefore ?? 0, s.metadata?.maxCount === undefined ? 0 : last - s.metadata.maxCount + 1)
    return { ok: s.events.slice(min) }
  }

  state(name: string): StreamState {
    const s = this.streams.get(name)
    if (s?.tombstoned === true) return { state: 'tombstoned' }
    if (s === undefined || s.events.length === 0) return { state: 'no_stream' }
    const last = s.events.length - 1
    return this.actual(name) === 'no_stream' ? { state: 'deleted', revision: last } : { state: 'exists', revision: last }
  }
}

/** The real side of a model run: the open store, and how to reopen it (when the backend can). */
export interface RealStore {
  store: EventStore
  readonly reopen?: () => Promise<EventStore>
}

type Cmd = fc.AsyncCommand<EventStoreModel, RealStore>

const codeOf = (err: unknown): string => String((err as { code?: unknown }).code ?? err)

/** Runs `action` and checks it against `outcome`: same error code, or the same value via `same`. */
async function expectOutcome<T, R>(outcome: Outcome<T>, action: () => Promise<R>, same: (expected: T, actual: R) => void, what: string): Promise<void> {
  let actual: R
  try {
    actual = await action()
  } catch (err) {
    if ('error' in outcome) {
      equal(codeOf(err), outcome.error, what)
      return
    }
    throw new Error(`${what}: expected success, got ${codeOf(err)} (${String(err)})`, { cause: err })
  }
  if ('error' in outcome) throw new Error(`${what}: expected ${outcome.error}, but it succeeded`)
  same(outcome.ok, actual)
}

const key = (e: { streamName: string; revision: number; id: string; position: bigint }): string => `${e.streamName}@${e.revision}#${e.position}:${e.id}`

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** Checks every stream, `$all` and the head against the model. */
export async function checkAgainstModel(model: EventStoreModel, store: EventStore, streams: readonly string[]): Promise<void> {
  const all = await collect(store.readAll())
  deepEqual(all.map(key), model.all.map(key), '$all equals the model')
  const withSystem = await collect(store.readAll({ filter: { includeSystem: true } }))
  deepEqual(
    withSystem.map((e) => e.position),
    Array.from({ length: Number(model.lastPosition) }, (_, i) => BigInt(i + 1)),
    'positions run 1, 2, 3 ... with no hole',
  )
  for (const name of streams) {
    deepEqual(await store.getStreamState(name), model.state(name), `state of ${name}`)
    await expectOutcome(model.readStream(name), () => collect(store.readStream(name)), (e, a: RecordedEvent[]) => deepEqual(a.map(key), e.map(key)), `readStream ${name}`)
  }
}

/** How a command picks its expected revision, resolved against the model when it runs. */
type ExpectationChoice = 'any' | 'no_stream' | 'stream_exists' | 'current' | 'ahead' | 'behind'
const arbExpectation: fc.Arbitrary<ExpectationChoice> = fc.constantFrom('any', 'no_stream', 'stream_exists', 'current', 'current', 'ahead', 'behind')

function resolve(choice: ExpectationChoice, actual: Actual): ExpectedRevision {
  switch (choice) {
    case 'current':
      return actual
    case 'ahead':
      return actual === 'no_stream' ? 0 : actual + 1
    case 'behind':
      return actual === 'no_stream' || actual === 0 ? 3 : actual - 1
    default:
      return choice
  }
}

let counter = 0
const newEvents = (n: number): ModelRequest['events'] =>
  Array.from({ length: n }, () => ({ id: randomUUID(), type: `T${counter % 3}`, data: { n: counter++ } }))

const sameResults = (expected: readonly AppendResult[], actual: readonly AppendResult[]): void => deepEqual(actual, expected)

class AppendCommand implements Cmd {
  constructor(readonly stream: string, readonly count: number, readonly expectation: ExpectationChoice) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const request = { streamName: this.stream, events: newEvents(this.count), expectedRevision: resolve(this.expectation, model.actual(this.stream)) }
    const outcome = model.append([request])
    await expectOutcome(outcome, async () => [await real.store.appendToStream(request.streamName, request.events, { expectedRevision: request.expectedRevision })], sameResults, `append ${this.toString()}`)
  }
  toString = (): string => `append(${this.stream}, ${this.count}, ${this.expectation})`
}

class MultiAppendCommand implements Cmd {
  constructor(readonly parts: readonly { stream: string; count: number; expectation: ExpectationChoice }[]) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const requests = this.parts.map((p) => ({ streamName: p.stream, events: newEvents(p.count), expectedRevision: resolve(p.expectation, model.actual(p.stream)) }))
    const outcome = model.append(requests)
    await expectOutcome(outcome, async () => (await real.store.multiStreamAppend(requests)).results, sameResults, `multi ${this.toString()}`)
  }
  toString = (): string => `multi(${this.parts.map((p) => `${p.stream}:${p.count}:${p.expectation}`).join(', ')})`
}

/** Retries an earlier successful append exactly, or with `'any'` instead of its expectation. */
class RetryCommand implements Cmd {
  constructor(readonly pick: number, readonly withAny: boolean) {}
  check = (model: Readonly<EventStoreModel>): boolean => model.history.length > 0
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const original = model.history[this.pick % model.history.length]!
    const requests = original.map((r) => (this.withAny ? { ...r, expectedRevision: 'any' as const } : r))
    const outcome = model.append(requests)
    await expectOutcome(
      outcome,
      async () =>
        requests.length === 1
          ? [await real.store.appendToStream(requests[0]!.streamName, requests[0]!.events, { expectedRevision: requests[0]!.expectedRevision })]
          : (await real.store.multiStreamAppend(requests)).results,
      sameResults,
      `retry ${this.toString()}`,
    )
  }
  toString = (): string => `retry(${this.pick}, ${this.withAny ? 'any' : 'same'})`
}

/** Appends an id already in the store (plus a new event) to some stream. */
class ReuseIdCommand implements Cmd {
  constructor(readonly pick: number, readonly stream: string, readonly alone: boolean) {}
  check = (model: Readonly<EventStoreModel>): boolean => model.all.length > 0
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const old = model.all[this.pick % model.all.length]!
    const events = this.alone ? [{ id: old.id, type: old.type, data: old.data }] : [{ id: old.id, type: old.type, data: old.data }, ...newEvents(1)]
    const request: ModelRequest = { streamName: this.stream, events, expectedRevision: 'any' }
    await expectOutcome(model.append([request]), async () => [await real.store.appendToStream(this.stream, events)], sameResults, `reuse ${this.toString()}`)
  }
  toString = (): string => `reuseId(${this.pick}, ${this.stream}, ${this.alone ? 'alone' : 'with a new one'})`
}

class RemoveCommand implements Cmd {
  constructor(readonly kind: 'delete' | 'tombstone', readonly stream: string, readonly expectation: ExpectationChoice) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const expected = resolve(this.expectation, model.actual(this.stream))
    const outcome = model.remove(this.kind, this.stream, expected)
    const action = this.kind === 'delete' ? () => real.store.deleteStream(this.stream, { expectedRevision: expected }) : () => real.store.tombstoneStream(this.stream, { expectedRevision: expected })
    await expectOutcome(outcome, async () => (await action()).position, (e, a) => equal(a, e), this.toString())
  }
  toString = (): string => `${this.kind}(${this.stream}, ${this.expectation})`
}

class SetMetadataCommand implements Cmd {
  constructor(readonly stream: string, readonly maxCount: number | undefined, readonly truncateBefore: number | undefined, readonly expectation: ExpectationChoice) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const rev = model.streams.get(this.stream)?.metadataRevision ?? -1
    const expected = resolve(this.expectation, rev < 0 ? 'no_stream' : rev)
    const metadata = { ...(this.maxCount === undefined ? {} : { maxCount: this.maxCount }), ...(this.truncateBefore === undefined ? {} : { truncateBefore: this.truncateBefore }) }
    const outcome = model.setMetadata(this.stream, metadata, expected)
    await expectOutcome(outcome, async () => (await real.store.setStreamMetadata(this.stream, metadata, { expectedMetadataRevision: expected })).nextExpectedRevision, (e, a) => equal(a, e), this.toString())
  }
  toString = (): string => `setMetadata(${this.stream}, maxCount ${this.maxCount}, truncateBefore ${this.truncateBefore}, ${this.expectation})`
}

/** Several `'any'` appends at once: all must succeed; the model applies them in position order. */
class ConcurrentAppendsCommand implements Cmd {
  constructor(readonly streams: readonly string[]) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    const batches = this.streams.map((s) => ({ streamName: s, events: newEvents(1 + (counter % 2)), expectedRevision: 'any' as const }))
    const settled = await Promise.allSettled(batches.map((b) => real.store.appendToStream(b.streamName, b.events)))
    const order = settled.map((s, i) => ({ s, i }))
    // Tombstoned streams refuse; everything else lands. Apply in the order of the positions given.
    order.sort((a, b) => (a.s.status === 'fulfilled' ? Number(a.s.value.position) : Infinity) - (b.s.status === 'fulfilled' ? Number(b.s.value.position) : Infinity))
    for (const { s, i } of order) {
      const outcome = model.append([batches[i]!])
      if (s.status === 'rejected') {
        equal('error' in outcome ? outcome.error : 'success', codeOf(s.reason), `concurrent append ${i}`)
      } else {
        deepEqual([s.value], 'ok' in outcome ? outcome.ok : outcome.error, `concurrent append ${i}`)
      }
    }
  }
  toString = (): string => `concurrent(${this.streams.join(', ')})`
}

class ReadCommand implements Cmd {
  constructor(readonly stream: string) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    deepEqual(await real.store.getStreamState(this.stream), model.state(this.stream), `state ${this.stream}`)
    await expectOutcome(
      model.readStream(this.stream),
      async () => collect(real.store.readStream(this.stream, { direction: 'backwards' })),
      (e, a: RecordedEvent[]) => deepEqual(a.map(key), [...e].reverse().map(key)),
      `readStream ${this.stream}`,
    )
  }
  toString = (): string => `read(${this.stream})`
}

class ReadAllCommand implements Cmd {
  constructor(readonly streams: readonly string[]) {}
  check = (): boolean => true
  async run(model: EventStoreModel, real: RealStore): Promise<void> {
    await checkAgainstModel(model, real.store, this.streams)
  }
  toString = (): string => 'checkAll'
}

class ReopenCommand implements Cmd {
  check = (): boolean => true
  async run(_model: EventStoreModel, real: RealStore): Promise<void> {
    real.store = await real.reopen!()
  }
  toString = (): string => 'reopen'
}

/** The commands of a model run over `streams` (a handful of names, so they collide). */
export function modelCommands(options: { readonly streams: readonly string[]; readonly reopen: boolean }): fc.Arbitrary<Cmd>[] {
  const stream = fc.constantFrom(...options.streams)
  const commands: fc.Arbitrary<Cmd>[] = [
    fc.tuple(stream, fc.integer({ min: 1, max: 3 }), arbExpectation).map(([s, n, e]) => new AppendCommand(s, n, e)),
    fc.tuple(stream, fc.integer({ min: 1, max: 3 }), arbExpectation).map(([s, n, e]) => new AppendCommand(s, n, e)),
    fc
      .uniqueArray(fc.record({ stream, count: fc.integer({ min: 1, max: 2 }), expectation: arbExpectation }), { minLength: 2, maxLength: 3, selector: (p) => p.stream })
      .map((parts) => new MultiAppendCommand(parts)),
    fc.tuple(fc.nat(), fc.boolean()).map(([p, any]) => new RetryCommand(p, any)),
    fc.tuple(fc.nat(), stream, fc.boolean()).map(([p, s, alone]) => new ReuseIdCommand(p, s, alone)),
    // A tombstone ends a stream for the rest of the run: a quarter of the removals.
    fc.tuple(fc.constantFrom<'delete' | 'tombstone'>('delete', 'delete', 'delete', 'tombstone'), stream, arbExpectation).map(([k, s, e]) => new RemoveCommand(k, s, e)),
    fc
      .tuple(stream, fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), arbExpectation)
      .map(([s, c, t, e]) => new SetMetadataCommand(s, c, t, e)),
    fc.array(stream, { minLength: 2, maxLength: 6 }).map((s) => new ConcurrentAppendsCommand(s)),
    stream.map((s) => new ReadCommand(s)),
    fc.constant(new ReadAllCommand(options.streams)),
  ]
  if (options.reopen) commands.push(fc.constant(new ReopenCommand()))
  return commands
}
