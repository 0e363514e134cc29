import type { StoreKind } from '../detect.js'
import { eventStoreHandler } from './event-store.js'
import type { StoreHandler } from './handler.js'
import { mvccHandler } from './mvcc.js'
import { ndjsonHandler } from './ndjson.js'
import { recordKeeperHandler } from './record-keeper.js'
import { snapshotsHandler } from './snapshots.js'
import { walHandler } from './wal.js'

/** The handler of each kind of store. */
export const HANDLERS: Readonly<Record<StoreKind, StoreHandler>> = {
  wal: walHandler,
  'ndjson-log': ndjsonHandler,
  snapshots: snapshotsHandler,
  'record-keeper': recordKeeperHandler,
  mvcc: mvccHandler,
  'event-store-wal': eventStoreHandler,
  'event-store-ndjson': eventStoreHandler,
  'event-store-record-keeper': eventStoreHandler,
  'event-store-postgres': eventStoreHandler,
}
