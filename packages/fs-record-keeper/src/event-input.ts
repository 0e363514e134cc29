import { jsonCodec } from '@quire/codec'
import { RecordKeeperError } from './errors.js'
import { eventFileBytes } from './event-file.js'
import { assertUuid } from './ids.js'
import type { RecordKeeperEvent } from './record-keeper.js'

/** An event checked for `add`: its id, its JSON text and the size of its event file. */
export interface EncodedEvent {
  readonly id: string
  readonly eventJson: string
  /** Bytes of its event file, counted against `maxQueuedBytes`. */
  readonly bytes: number
}

const utf8 = new TextEncoder()

/**
 * Checks an event for `add` and turns it into JSON, before anything is written:
 * `INVALID_ARGUMENT` for anything that is not a JSON object with a canonical UUID `id` whose event
 * file fits `maxEventBytes`.
 */
export function encodeEvent(event: RecordKeeperEvent, maxEventBytes: number): EncodedEvent {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new RecordKeeperError('INVALID_ARGUMENT', 'an event must be a JSON object with an id')
  }
  let id: unknown
  try {
    id = event.id
  } catch (err) {
    // A getter or a Proxy that throws: the caller's event cannot be read, which is bad input.
    throw new RecordKeeperError('INVALID_ARGUMENT', 'event.id could not be read', { cause: err })
  }
  assertUuid(id, 'event.id', RecordKeeperError)
  let eventJson: string
  try {
    eventJson = jsonCodec.stringify(event)
  } catch (err) {
    throw new RecordKeeperError('INVALID_ARGUMENT', `event ${id} is not storable as JSON`, { cause: err })
  }
  const bytes = eventFileBytes(utf8.encode(eventJson).byteLength, true)
  if (bytes > maxEventBytes) {
    throw new RecordKeeperError('INVALID_ARGUMENT', `event ${id} needs ${bytes} bytes; maxEventBytes is ${maxEventBytes}`)
  }
  return { id, eventJson, bytes }
}
