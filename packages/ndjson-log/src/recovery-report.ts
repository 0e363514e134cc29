// What recovery reports, on its own: the public declarations need it without recovery's internals.

/** A line recovery found damaged (see {@link RecoveryReport}). */
export interface DamagedLine {
  readonly file: string
  /** 1-based line number. */
  readonly line: number
  readonly reason: string
}

/** What `open` found and did. */
export interface RecoveryReport {
  /**
   * Bytes cut from the end of the active file: a torn tail, or (`'point-in-time'`) everything from
   * the damage on. Preallocated free space (the pad line) left by a writer that did not close is
   * released too, but not counted.
   */
  readonly truncatedBytes: number
  /** Bytes of preallocated free space (the pad line) a writer that did not close left, removed. */
  readonly releasedBytes: number
  /** Under `'point-in-time'`: the damaged line in the middle the file was cut at. */
  readonly cutAt: DamagedLine | undefined
  /** Under `'skip-corrupt'`: damaged lines (and the rest of their batches) left in the file and skipped. */
  readonly skipped: readonly DamagedLine[]
  /** True when the active file was missing (a new log, or a crash during rotation) and was created. */
  readonly createdActiveFile: boolean
  /**
   * Quarantine files (absolute paths) holding, exactly, the bytes this recovery cut: written
   * durably before the cut, never deleted by the library (see FORMAT.md). A torn tail and a last
   * line damaged at rest look the same; this is how the second can be got back. Free space (the pad
   * line) and all-zero bytes are not kept.
   */
  readonly quarantined: readonly string[]
  /**
   * True when the log was opened with `readOnly: true`: nothing was changed; the byte counts say
   * what a writable open would cut, and nothing was quarantined.
   */
  readonly readOnly: boolean
}
