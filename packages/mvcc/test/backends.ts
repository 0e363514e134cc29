import type { IsolationLevel } from '../src/engine.js'
import { memoryDb, type TestDb } from './helpers.js'

/** The stores the isolation suites run against. */
export const backends: { name: string; open: (level: IsolationLevel) => Promise<TestDb> }[] = [
  { name: 'the engine alone', open: (level) => Promise.resolve(memoryDb(level)) },
]
