import { jsonCodec } from '@quire/codec'
import { isFsError, readSmallFile, safeJoin, type FileSystem } from '@quire/vfs'
import { RecordKeeperError } from './errors.js'
import { decodeEventFile } from './event-file.js'
import { leafDir } from './ids.js'
import type { RecordKeeperEvent } from './record-keeper.js'

/**
 * Reads the event `id` of the history in the event tree `events`, exactly as added. A missing or
 * damaged file of an event the history holds is `CORRUPT`, never returned as data.
 */
export async function readLinkedEvent(fs: FileSystem, events: string, id: string): Promise<RecordKeeperEvent> {
  const path = safeJoin(leafDir(events, id), id)
  let bytes: Uint8Array
  try {
    bytes = await readSmallFile(fs, path)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) {
      throw new RecordKeeperError('CORRUPT', `event ${id} is in the history but ${path} is missing`, { cause: err })
    }
    throw err
  }
  const record = decodeEventFile(bytes)
  if (record?.id !== id) throw new RecordKeeperError('CORRUPT', `event file ${path} is damaged`)
  try {
    return jsonCodec.parse(record.eventJson) as RecordKeeperEvent
  } catch (err) {
    throw new RecordKeeperError('CORRUPT', `event file ${path} does not hold JSON`, { cause: err })
  }
}
