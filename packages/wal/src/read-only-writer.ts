import { ReadOnlyError } from '@quire/vfs'
import type { GroupWriter } from './group-commit.js'

/** What the log needs of its writer: the group commit's part, plus a durable point and close. */
export interface LogWriter extends GroupWriter {
  /** Makes everything written so far durable. */
  sync(): Promise<void>
  /** Closes the active segment's handle. */
  close(): Promise<void>
}

/**
 * The writer of a log opened with `readOnly: true`: it has no file open for writing, and every
 * write is refused with `READ_ONLY` (the log refuses writes before they reach it; this is the
 * second line). Nothing to sync or close.
 */
export class ReadOnlyWriter implements LogWriter {
  readonly room = 0
  readonly activeEmpty = false
  async write(): Promise<void> {
    throw new ReadOnlyError('Wal.append')
  }
  async roll(): Promise<void> {
    throw new ReadOnlyError('Wal.append')
  }
  async sync(): Promise<void> {}
  async close(): Promise<void> {}
}
