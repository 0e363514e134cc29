import cliProgress from 'cli-progress'
import { isTerminal } from './io.js'

/** Progress of a long read: `tick` as items are read; `stop` at the end (idempotent). */
export interface Progress {
  tick(count?: number): void
  stop(): void
}

/** How a command shows progress: `auto` (a bar on a terminal, for large stores), `always`, `never`. */
export type ProgressMode = 'auto' | 'always' | 'never'

/** Stores with fewer items than this finish before a bar would be worth drawing. */
export const PROGRESS_MIN_ITEMS = 50_000

const NONE: Progress = { tick: () => undefined, stop: () => undefined }

/**
 * A progress bar on `stream` (standard error) for `total` items labelled `label`, drawn by
 * `cli-progress`. `auto` draws it only on a terminal and only past {@link PROGRESS_MIN_ITEMS};
 * `always` draws it anywhere (also into a pipe, one line per update: for the tests and for logs).
 */
export function startProgress(stream: NodeJS.WritableStream, mode: ProgressMode, label: string, total: number): Progress {
  const tty = isTerminal(stream)
  if (mode === 'never' || (mode === 'auto' && (!tty || total < PROGRESS_MIN_ITEMS)) || total <= 0) return NONE
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total}`,
      noTTYOutput: !tty,
      notTTYSchedule: 200,
      hideCursor: tty,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0)
  let done = 0
  let stopped = false
  return {
    tick(count = 1) {
      done += count
      bar.update(Math.min(done, total))
    },
    stop() {
      if (stopped) return
      stopped = true
      bar.update(Math.min(done, total))
      bar.stop()
    },
  }
}
