export { QuireError, isQuireError, errnoOf } from './quire-error.js'
export {
  InvalidArgumentError,
  ClosedError,
  PoisonedError,
  WriteFailedError,
  CorruptError,
  UnsupportedVersionError,
  OverloadedError,
  ReadOnlyError,
  NotFoundError,
  ExistsError,
} from './conditions.js'
export type { OverloadDetails } from './conditions.js'
