export { SimFileSystem, type SimOptions, type SimStats } from './sim-file-system.js'
export { SimFsError, SimHaltedError } from './errors.js'
export type { FaultSpec, InjectedFault, SimOp } from './faults.js'
export { SECTOR_BYTES } from './crash-image.js'
