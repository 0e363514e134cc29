import { SimFileSystem } from '@quire/vfs/sim'
import { MvccStore } from '../src/store.js'
import type { IsolationLevel } from '../src/engine.js'
import { memoryDb, type TestDb } from './helpers.js'

/** The stores the isolation suites run against: the bare engine, and the real store on the simulated disk. */
export const backends: { name: string; open: (level: IsolationLevel) => Promise<TestDb> }[] = [
  { name: 'the engine alone', open: (level) => Promise.resolve(memoryDb(level)) },
  { name: 'MvccStore on SimFileSystem', open: (level) => MvccStore.open('/db', { fs: new SimFileSystem(), isolation: level }) },
]
