export { conformanceCases, type ConformanceCase } from './cases.js'
