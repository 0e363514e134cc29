import type { StoreKind } from '../detect.js'
import type { StoreHandler } from './handler.js'

/**
 * The handler of each kind of store, loaded when first asked for: a command on a WAL loads
 * `@quire/wal`, not the event store, MVCC or `pg` (a CLI's start-up time is paid on every run).
 */
export async function handlerFor(kind: StoreKind): Promise<StoreHandler> {
  switch (kind) {
    case 'wal':
      return (await import('./wal.js')).walHandler
    case 'ndjson-log':
      return (await import('./ndjson.js')).ndjsonHandler
    case 'snapshots':
      return (await import('./snapshots.js')).snapshotsHandler
    case 'record-keeper':
      return (await import('./record-keeper.js')).recordKeeperHandler
    case 'mvcc':
      return (await import('./mvcc.js')).mvccHandler
    default:
      return (await import('./event-store.js')).eventStoreHandler
  }
}
