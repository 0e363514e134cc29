import type { StreamInfo } from './driver.js'
import type { RecordedEvent } from './types.js'

/**
 * What a stream's soft delete and retention metadata leave visible to `readStream`, at one
 * moment. Drivers return every stored event; the facade applies this, so every backend hides the
 * same events. `$all` is not affected: it shows every event until a compaction rewrites the log
 * (not in v1).
 */
export interface RetentionWindow {
  /** Revisions below this are hidden (soft delete's `deletedBefore`, `truncateBefore`, `maxCount`). */
  readonly minRevision: number
  /** Events recorded before this (ms since the epoch) are hidden (`maxAge`); `undefined`: no age limit. */
  readonly minRecordedAtMs: number | undefined
}

export function retentionWindow(info: StreamInfo, nowMs: number): RetentionWindow {
  const m = info.metadata
  const minRevision = Math.max(
    info.deletedBefore ?? 0,
    m?.truncateBefore ?? 0,
    m?.maxCount === undefined ? 0 : info.lastRevision - m.maxCount + 1,
  )
  return { minRevision, minRecordedAtMs: m?.maxAge === undefined ? undefined : nowMs - m.maxAge * 1000 }
}

/** True when `event` is visible through `window`. */
export function isRetained(event: RecordedEvent, window: RetentionWindow): boolean {
  return event.revision >= window.minRevision && (window.minRecordedAtMs === undefined || event.recordedAt.getTime() >= window.minRecordedAtMs)
}

/** True when the stream shows no event because a soft delete hid all it had. */
export const isSoftDeleted = (info: StreamInfo): boolean => info.lastRevision < (info.deletedBefore ?? 0)
