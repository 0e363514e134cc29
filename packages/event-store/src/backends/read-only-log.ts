import type { CommitLog } from '../commit-log.js'
import { ReadOnlyError } from '../errors.js'

/**
 * The commit log of a store opened with `readOnly: true`: reads go to `log` (itself opened
 * read-only), every append is refused with `READ_ONLY` before it reaches it. The driver passes
 * the refusal through as it is (an `EventStoreError`), after its checks of the request.
 */
export function readOnlyLog(log: CommitLog): CommitLog {
  return {
    get lastPosition() {
      return log.lastPosition
    },
    poisoned: false,
    append: () => Promise.reject(new ReadOnlyError('append')),
    replay: (options) => log.replay(options),
    close: () => log.close(),
  }
}
