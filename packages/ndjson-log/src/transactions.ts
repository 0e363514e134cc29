import type { BadLine, ParsedLine } from './format.js'

/** A spot where a file stops following the format (see FORMAT.md, "What a reader accepts"). */
export interface Problem {
  /** 1-based line number of the offending line. */
  readonly lineNo: number
  readonly reason: string
  /** Where the file would have to be cut to drop the whole transaction the problem sits in. */
  readonly cutOffset: number
  /** The line number at `cutOffset`. */
  readonly cutLineNo: number
  /** Whether a line with a correct checksum follows: if not, the problem is a torn tail. */
  validAfter: boolean
  /** True when the "problem" is the free-space line that ends an active file's data. */
  readonly pad: boolean
  /** Offset just past the problem's line. */
  readonly next: number
}

/** A line skipped under `'skip-corrupt'`. */
export interface SkippedLine {
  readonly lineNo: number
  readonly reason: string
}

/**
 * Assembles the lines of one file into transactions (a single record, or the `n` lines of a
 * batch) and finds where the file stops following the format. One state machine for both
 * recovery (which cuts torn tails) and reading (which yields committed records), so both always
 * agree on what the file holds.
 *
 * Without `skip`, assembly halts at the first problem (later lines are only checked for a correct
 * checksum, to tell a torn tail from corruption). With `skip`, the problem's transaction is
 * skipped and assembly resumes at the next line that starts a transaction with a higher `seq`.
 */
export class TransactionAssembler<T> {
  /** `seq` of the last committed record. */
  lastSeq: number
  /** File offset just past the last committed transaction. */
  commitEnd: number
  /** The first and the latest problem met. */
  first: Problem | undefined
  last: Problem | undefined
  /** True once assembly stopped at a problem (without `skip`). */
  halted = false
  readonly skipped: SkippedLine[] = []

  /** The first problem after the last line with a correct checksum: where a torn tail starts. */
  #tailStart: Problem | undefined
  #expectSeq: number | undefined
  #pending: T[] = []
  #pendingSize = 0
  #pendingOffset = 0
  #pendingLineNo = 0
  readonly #skip: boolean
  readonly #onCommit: (item: T) => void

  constructor(
    startSeq: number,
    headerEnd: number,
    skip: boolean,
    /** Called for each record of a transaction once the transaction is complete, in order. */
    onCommit: (item: T) => void,
  ) {
    this.lastSeq = startSeq - 1
    this.commitEnd = headerEnd
    this.#expectSeq = startSeq
    this.#skip = skip
    this.#onCommit = onCommit
  }

  /** Feeds the next line (`next` = the offset just past its newline). */
  line(lineNo: number, offset: number, next: number, parsed: ParsedLine | BadLine, item: T): void {
    const crcValid = parsed.kind === 'bad' ? parsed.crcValid : parsed.kind !== 'pad'
    if (crcValid && this.last !== undefined) this.last.validAfter = true
    if (crcValid) this.#tailStart = undefined
    if (this.halted) return
    // The free space after the data: the end of the file's content. It ends a transaction like
    // the end of the file does, and anything valid after it is corruption.
    if (parsed.kind === 'pad') return this.#problem(lineNo, offset, 'free-space line before the end of the file', next, true)
    if (parsed.kind === 'bad') return this.#problem(lineNo, offset, parsed.reason, next)
    if (parsed.kind === 'header') return this.#problem(lineNo, offset, 'header line in the middle of a file', next)
    if (this.#expectSeq === undefined) {
      // Resynchronizing after a skipped problem: wait for a transaction start past what we kept.
      if (parsed.batchIndex !== 1 || parsed.seq <= this.lastSeq) {
        this.skipped.push({ lineNo, reason: 'part of a skipped transaction' })
        return
      }
      this.#expectSeq = parsed.seq
    }
    if (parsed.seq !== this.#expectSeq) {
      return this.#problem(lineNo, offset, `seq ${parsed.seq} where ${this.#expectSeq} was expected`, next)
    }
    if (this.#pending.length === 0) {
      if (parsed.batchIndex !== 1) return this.#problem(lineNo, offset, 'batch line without the start of its batch', next)
      this.#expectSeq++
      if (parsed.batchSize === 1) {
        this.lastSeq = parsed.seq
        this.commitEnd = next
        return this.#onCommit(item)
      }
      this.#pending = [item]
      this.#pendingSize = parsed.batchSize
      this.#pendingOffset = offset
      this.#pendingLineNo = lineNo
      return
    }
    if (parsed.batchSize !== this.#pendingSize || parsed.batchIndex !== this.#pending.length + 1) {
      return this.#problem(lineNo, offset, 'batch interrupted before its last line', next)
    }
    this.#expectSeq++
    this.#pending.push(item)
    if (parsed.batchIndex === parsed.batchSize) {
      const items = this.#pending
      this.#pending = []
      this.#commit(items, parsed.seq, next)
    }
  }

  /**
   * The end of the file: `end` is just past the last complete line, `partialBytes` what follows
   * it without a newline.
   */
  finish(end: number, partialBytes: number, partialLineNo: number): void {
    if (this.halted) return
    if (partialBytes > 0) this.#problem(partialLineNo, end, 'last line has no newline', end + partialBytes)
    else if (this.#pending.length > 0) this.#problem(this.#pendingLineNo, this.#pendingOffset, 'batch without its last line', end)
  }

  /**
   * The torn tail to cut: the first of the trailing problems that no line with a correct checksum
   * follows. (With `skip`, several problems can trail; cutting at the last one would leave the
   * earlier ones, a pad line among them, in the middle of the file.)
   */
  get torn(): Problem | undefined {
    return this.#tailStart
  }

  /** The first problem when something valid follows it: corruption in the middle. */
  get corrupt(): Problem | undefined {
    return this.first !== undefined && this.first.validAfter ? this.first : undefined
  }

  /** Drops skipped-line reports from `lineNo` on (they turned out to be a torn tail). */
  forgetSkippedFrom(lineNo: number): void {
    while (this.skipped.length > 0 && this.skipped[this.skipped.length - 1]!.lineNo >= lineNo) this.skipped.pop()
  }

  #commit(items: T[], lastSeq: number, next: number): void {
    this.lastSeq = lastSeq
    this.commitEnd = next
    for (const item of items) this.#onCommit(item)
  }

  #problem(lineNo: number, offset: number, reason: string, next: number, pad = false): void {
    const inBatch = this.#pending.length > 0
    const problem: Problem = {
      lineNo,
      reason: pad && inBatch ? 'batch without its last line' : reason,
      cutOffset: inBatch ? this.#pendingOffset : offset,
      cutLineNo: inBatch ? this.#pendingLineNo : lineNo,
      validAfter: false,
      pad: pad && !inBatch,
      next,
    }
    this.first ??= problem
    this.last = problem
    this.#tailStart ??= problem
    if (!this.#skip) {
      this.halted = true
      return
    }
    for (let i = 0; i < this.#pending.length; i++) {
      this.skipped.push({ lineNo: this.#pendingLineNo + i, reason: `in the same batch as line ${lineNo}` })
    }
    if (!pad) this.skipped.push({ lineNo, reason })
    this.#pending = []
    this.#expectSeq = undefined
  }
}
