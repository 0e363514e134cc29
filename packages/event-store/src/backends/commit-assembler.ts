import type { LoggedCommit, StoredEvent } from '../commit-log.js'
import { EventStoreCorruptError } from '../errors.js'

/**
 * Rebuilds commits from a log that stores one entry per event, each marked `[k, n]` (the k-th
 * of the commit's n events), with the log's sequence number as the position. The log (WAL batch,
 * NDJSON batch) makes a commit atomic; this checks what the event store relies on, and says
 * `CORRUPT` otherwise: positions run on with no hole, a commit's entries are
 * consecutive and complete, and nothing is left half-open at the end.
 */
export class CommitAssembler {
  /** The seq the next entry must have. */
  #nextSeq: number
  #first = 0
  #expected = 0
  #events: StoredEvent[] = []
  readonly #where: string

  /** `firstSeq`: the seq the first entry must have (the start of a commit). */
  constructor(firstSeq: number, where: string) {
    this.#nextSeq = firstSeq
    this.#where = where
  }

  /** Takes one entry; returns the commit it completes, if it completes one. */
  push(seq: number, k: number, n: number, event: StoredEvent): LoggedCommit | undefined {
    if (seq !== this.#nextSeq) {
      throw new EventStoreCorruptError(`${this.#where}: position ${seq} follows ${this.#nextSeq - 1} (a hole or a repeat)`)
    }
    this.#nextSeq = seq + 1
    if (this.#events.length === 0) {
      if (k !== 1) throw new EventStoreCorruptError(`${this.#where}: position ${seq} is event ${k} of a commit whose start is missing`)
      this.#first = seq
      this.#expected = n
    } else if (n !== this.#expected || k !== this.#events.length + 1) {
      throw new EventStoreCorruptError(`${this.#where}: position ${seq} is marked [${k}, ${n}] inside a commit of ${this.#expected} at event ${this.#events.length + 1}`)
    }
    this.#events.push(event)
    if (k < n) return undefined
    const commit: LoggedCommit = { firstPosition: BigInt(this.#first), events: this.#events }
    this.#events = []
    return commit
  }

  /** At the end of the log: a commit left open is corruption (the log's batches are atomic). */
  finish(): void {
    if (this.#events.length > 0) {
      throw new EventStoreCorruptError(`${this.#where}: the commit at position ${this.#first} has ${this.#events.length} of its ${this.#expected} events`)
    }
  }
}
