export { default as fc } from 'fast-check'
export { propertyRuns, checkProperty, arbSeed } from './runs.js'
export { settle, type Settled } from './settle.js'
export { crashImage, crashDuringRecovery } from './crash.js'
