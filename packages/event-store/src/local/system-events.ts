import type { StreamMetadata } from '../types.js'

/*
 * Stream commands (metadata, soft delete, tombstone) are commits of one system event in the
 * stream's `$$<stream>` stream, the way KurrentDB keeps a stream's metadata. So they take
 * positions like any event (`$all` stays gap-free), survive restarts through the same log, and
 * need no second file. Readers of `$all` see them only when they ask (`includeSystem`).
 */

/** Prefix of the stream that holds stream `X`'s commands: `$$X`. */
export const METADATA_STREAM_PREFIX = '$$'

/** `data` is the stream's new {@link StreamMetadata}, whole (it replaces the previous one). */
export const METADATA_EVENT_TYPE = '$metadata'
/** Soft delete; `data` is `{ deletedBefore }`: revisions below it are hidden, appends continue after. */
export const DELETED_EVENT_TYPE = '$deleted'
/** Hard delete; `data` is `{}`. The stream refuses every append and read from then on. */
export const TOMBSTONE_EVENT_TYPE = '$tombstone'

/** The stream holding `streamName`'s commands. */
export const metadataStreamOf = (streamName: string): string => METADATA_STREAM_PREFIX + streamName

/** The stream a `$$X` stream's commands apply to, or `undefined` when `name` is not one. */
export function targetOfMetadataStream(name: string): string | undefined {
  return name.startsWith(METADATA_STREAM_PREFIX) && name.length > METADATA_STREAM_PREFIX.length
    ? name.slice(METADATA_STREAM_PREFIX.length)
    : undefined
}

/** What a system event read from the log does to its target stream; `undefined` when malformed. */
export type SystemEffect =
  | { readonly kind: 'metadata'; readonly metadata: StreamMetadata }
  | { readonly kind: 'delete'; readonly deletedBefore: number }
  | { readonly kind: 'tombstone' }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isCount = (value: unknown, min: number): boolean =>
  value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= min)

/** Decodes a system event's meaning, checking its shape (the log is not trusted blindly). */
export function systemEffect(type: string, data: unknown): SystemEffect | undefined {
  if (!isRecord(data)) return undefined
  switch (type) {
    case METADATA_EVENT_TYPE:
      if (!isCount(data.maxAge, 1) || !isCount(data.maxCount, 1) || !isCount(data.truncateBefore, 0)) return undefined
      return { kind: 'metadata', metadata: data }
    case DELETED_EVENT_TYPE:
      if (data.deletedBefore === undefined || !isCount(data.deletedBefore, 0)) return undefined
      return { kind: 'delete', deletedBefore: data.deletedBefore as number }
    case TOMBSTONE_EVENT_TYPE:
      return { kind: 'tombstone' }
    default:
      return undefined
  }
}
