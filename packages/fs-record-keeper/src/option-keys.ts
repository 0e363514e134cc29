import type { DepotOptions } from './depot.js'
import type { RecordKeeperOptions } from './record-keeper.js'

/**
 * Every key `RecordKeeper.open` knows. `satisfies` and the checks below keep the lists and the
 * option types in step: an option added to one and not the other fails to compile.
 */
export const RECORD_KEEPER_OPTION_KEYS = [
  'fs',
  'maxEventBytes',
  'maxQueuedOperations',
  'maxQueuedBytes',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof RecordKeeperOptions)[]

/** Every key `Depot.open` knows. */
export const DEPOT_OPTION_KEYS = [
  'fs',
  'maxObjectBytes',
  'maxQueuedOperations',
  'maxQueuedBytes',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof DepotOptions)[]

/** Every key of `RecordKeeper.verify` and `Depot.verify`. */
export const VERIFY_OPTION_KEYS = ['fs'] as const

/** Every key of `RecordKeeper.events`. */
export const EVENTS_OPTION_KEYS = ['after'] as const

const allRkKeys: Exclude<keyof RecordKeeperOptions, (typeof RECORD_KEEPER_OPTION_KEYS)[number]> extends never ? true : never = true
const allDepotKeys: Exclude<keyof DepotOptions, (typeof DEPOT_OPTION_KEYS)[number]> extends never ? true : never = true
void allRkKeys
void allDepotKeys
