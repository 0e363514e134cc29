import {
  CommandHandler,
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type EventStore,
  type RecordedEvent,
} from '@quire/event-store'
import type { Depot } from '@quire/fs-record-keeper'
import { commandEventId, fingerprint } from './command-ids.js'
import { ACCOUNT_SCHEMA_VERSION, evolveAccount, initialAccount, type AccountState } from './domain/account.js'
import type { Command } from './domain/commands.js'
import { decideDeposit, decideOpen, decideStatement, decideTransfer, decideWithdraw, type Decision } from './domain/decide.js'
import { accountStream, asAccountEvent, type CommandMetadata, type DecidedAccountEvent, type StatementRequested } from './domain/events.js'
import { LedgerError, unavailable, unprocessable } from './errors.js'
import { ACCOUNT_SNAPSHOT_EVERY, COMMAND_CONFLICT_RETRIES } from './limits.js'
import { replyFor, type Reply } from './replies.js'
import { renderStatement, sha256Hex, storeDocument } from './statements.js'

/** Counters of the write side, for `/health` and the demo's report. */
export interface WriteStats {
  commands: number
  /** Commands answered from what an earlier attempt with the same key booked. */
  replays: number
  /** `WRONG_EXPECTED_VERSION` answered by loading and deciding again. */
  conflicts: number
}

const snapshot = { every: ACCOUNT_SNAPSHOT_EVERY, schemaVersion: ACCOUNT_SCHEMA_VERSION } as const

/** Load, decide, append with the revision read, retry on conflict; through snapshots (issue 10's CommandHandler). */
const handleAccount = CommandHandler<AccountState, DecidedAccountEvent>({
  initialState: initialAccount,
  evolve: evolveAccount,
  maxRetries: COMMAND_CONFLICT_RETRIES,
  snapshot,
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The write side: executes commands on the event store, exactly once per idempotency key.
 *
 * The key becomes the ids of the events a command books (`commandEventId`). A retry proposes
 * the same ids; the store refuses a second copy (`DUPLICATE_EVENT_ID`, ids are unique
 * store-wide), and the retry is answered from the event the first attempt booked — if that
 * event carries the same command fingerprint; another command under a used key is 422.
 * Concurrent requests with one key are joined in memory; across a restart the log decides.
 */
export class WriteSide {
  readonly stats: WriteStats = { commands: 0, replays: 0, conflicts: 0 }
  readonly #store: EventStore
  readonly #depot: Depot
  readonly #inFlight = new Map<string, { readonly fingerprint: string; readonly reply: Promise<Reply> }>()

  constructor(store: EventStore, depot: Depot) {
    this.#store = store
    this.#depot = depot
  }

  /** Commands being executed now. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /**
   * Executes `command` under idempotency `key`. Resolves with the reply (2xx, or 409 for a
   * recorded decline); rejects with a `LedgerError` (4xx: nothing booked; 503: retry with the
   * same key) or an event-store error (outcome unknown: retry with the same key).
   */
  async execute(key: string, command: Command): Promise<Reply> {
    const print = fingerprint(command)
    const running = this.#inFlight.get(key)
    if (running !== undefined) {
      if (running.fingerprint !== print) throw keyReused(key)
      return running.reply
    }
    const reply = this.#run({ key, command, metadata: { key, command: print } })
    this.#inFlight.set(key, { fingerprint: print, reply })
    try {
      return await reply
    } finally {
      this.#inFlight.delete(key)
    }
  }

  async #run(d: Decision): Promise<Reply> {
    this.stats.commands++
    try {
      switch (d.command.kind) {
        case 'open':
          return await this.#single(d.command.accountId, (s) => decideOpen(s, d as Decision<typeof d.command>))
        case 'deposit':
          return await this.#single(d.command.accountId, (s) => decideDeposit(s, d as Decision<typeof d.command>))
        case 'withdraw':
          return await this.#single(d.command.accountId, (s) => decideWithdraw(s, d as Decision<typeof d.command>))
        case 'transfer':
          return await this.#transfer(d as Decision<typeof d.command>)
        case 'statement':
          return await this.#statement(d as Decision<typeof d.command>)
      }
    } catch (error) {
      if (error instanceof DuplicateEventIdError) return this.#replay(error, d.metadata)
      if (error instanceof WrongExpectedVersionError) {
        throw unavailable('CONTENTION', 'the account changed too often meanwhile; retry with the same key', { cause: error })
      }
      throw error
    }
  }

  /** A one-stream command through the `CommandHandler`. */
  async #single(accountId: string, decide: (state: AccountState) => DecidedAccountEvent[]): Promise<Reply> {
    const stream = accountStream(accountId)
    const result = await handleAccount(this.#store, stream, decide)
    const first = result.newEvents[0]
    if (first === undefined) {
      // Only an open that this key already did decides nothing: answer from the stream's first event.
      const opened = await this.#readAt(stream, 0)
      return replyFor(asAccountEvent(opened), stream, opened.position, true)
    }
    return replyFor(first, stream, result.position, false)
  }

  /**
   * A transfer: both accounts loaded (through snapshots), decided on both states, the debit and
   * the credit appended in ONE `multiStreamAppend` with the two revisions read, so money is never
   * half moved; on `WRONG_EXPECTED_VERSION` everything is loaded and decided again.
   */
  async #transfer(d: Decision<Extract<Command, { kind: 'transfer' }>>): Promise<Reply> {
    const fromStream = accountStream(d.command.from)
    const toStream = accountStream(d.command.to)
    for (let attempt = 0; ; attempt++) {
      const [from, to] = await Promise.all([this.#load(fromStream), this.#load(toStream)])
      const decided = decideTransfer(from.state, to.state, d)
      const debit = decided.from[0]!
      try {
        if (decided.to.length === 0) {
          const r = await this.#store.appendToStream(fromStream, decided.from, { expectedRevision: from.revision })
          return replyFor(debit, fromStream, r.position, r.idempotentReplay)
        }
        const r = await this.#store.multiStreamAppend([
          { streamName: fromStream, events: decided.from, expectedRevision: from.revision },
          { streamName: toStream, events: decided.to, expectedRevision: to.revision },
        ])
        return replyFor(debit, fromStream, r.results[0]!.position, r.results[0]!.idempotentReplay)
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= COMMAND_CONFLICT_RETRIES) throw error
        this.stats.conflicts++
        // Two hot accounts: after a few lost races, step aside for a random moment.
        if (attempt >= 2) await sleep(Math.random() * Math.min(50, 2 ** attempt))
      }
    }
  }

  async #load(stream: string): Promise<{ readonly state: AccountState; readonly revision: number | 'no_stream' }> {
    const loaded = await this.#store.aggregateStream<AccountState>(stream, { initialState: initialAccount, evolve: evolveAccount, snapshot })
    return { state: loaded.state, revision: loaded.streamExists ? loaded.currentRevision : 'no_stream' }
  }

  /**
   * A statement document: `StatementRequested` (decided on the account, fixing the revisions
   * it covers), the document rendered from the log and stored in the depot (reserve, write,
   * finalize), then `StatementIssued` referencing the object. Every step is idempotent, so a
   * retry after a kill anywhere resumes where the first attempt stopped.
   */
  async #statement(d: Decision<Extract<Command, { kind: 'statement' }>>): Promise<Reply> {
    const stream = accountStream(d.command.accountId)
    let requested: StatementRequested['data']
    try {
      const result = await handleAccount(this.#store, stream, (s) => decideStatement(s, d))
      requested = (result.newEvents[0] as StatementRequested).data
    } catch (error) {
      if (!(error instanceof DuplicateEventIdError)) throw error
      const existing = await this.#existing(error, d.metadata)
      const event = asAccountEvent(existing)
      if (event.type !== 'StatementRequested') return replyFor(event, existing.streamName, existing.position, true)
      requested = event.data
    }
    const events = []
    for await (const e of this.#store.readStream(stream, { fromRevision: 0, maxCount: requested.toRevision + 1 })) {
      events.push({ ...asAccountEvent(e), revision: e.revision })
    }
    const opened = events[0]
    if (opened?.type !== 'AccountOpened') throw new LedgerError(500, 'LEDGER_CORRUPT', `${stream} does not start with AccountOpened`)
    const bytes = renderStatement({ accountId: d.command.accountId, owner: opened.data.owner, ...requested, events })
    const objectId = commandEventId(d.key, 2)
    await storeDocument(this.#depot, objectId, bytes)
    const issued: DecidedAccountEvent = {
      id: commandEventId(d.key, 1),
      type: 'StatementIssued',
      data: { ...requested, objectId, bytes: bytes.byteLength, sha256: sha256Hex(bytes) },
      metadata: d.metadata,
    }
    const r = await this.#store.appendToStream(stream, [issued])
    return replyFor(issued, stream, r.position, r.idempotentReplay)
  }

  /** Answers a retry from the event the key already booked, or refuses a key reused for another command. */
  async #replay(error: DuplicateEventIdError, metadata: CommandMetadata): Promise<Reply> {
    const existing = await this.#existing(error, metadata)
    this.stats.replays++
    return replyFor(asAccountEvent(existing), existing.streamName, existing.position, true)
  }

  /** The event behind a `DUPLICATE_EVENT_ID`, if it was booked by this same command; else 422. */
  async #existing(error: DuplicateEventIdError, metadata: CommandMetadata): Promise<RecordedEvent> {
    const existing = await this.#readAt(error.existing.streamName, error.existing.revision)
    const booked = existing.metadata as Partial<CommandMetadata> | undefined
    if (booked?.command !== metadata.command) throw keyReused(metadata.key)
    return existing
  }

  async #readAt(stream: string, revision: number): Promise<RecordedEvent> {
    for await (const e of this.#store.readStream(stream, { fromRevision: revision, maxCount: 1 })) return e
    throw new LedgerError(500, 'LEDGER_CORRUPT', `${stream} has no event at revision ${revision}`)
  }
}

const keyReused = (key: string): LedgerError =>
  unprocessable('IDEMPOTENCY_KEY_REUSED', `idempotency key ${JSON.stringify(key)} was used for another command`)
