import { sweepAfterCrashSuite } from '@quire/test-kit'
import { MvccStore } from '../src/index.js'

// Issue 13, fault 4: temp files of interrupted replaces (checkpoint snapshots, the WAL's floor) are
// swept at open; after recovery from a crash at any point the directory holds only the store's own files.
sweepAfterCrashSuite({
  name: 'MvccStore',
  what: 'commits and checkpoints',
  dir: '/db',
  own: [
    /^wal\/$/,
    /^wal\/\d{20}\.wal$/,
    /^wal\/wal\.floor$/,
    /^wal\/\d{20}\.wal\.\d+\.[0-9a-f]{16}\.quarantine$/,
    /^snapshots\/$/,
    /^snapshots\/k-6d766363\/$/,
    /^snapshots\/k-6d766363\/[0-9a-f]{16}-[0-9a-f]{16}\.snap$/,
  ],
  workload: async (fs) => {
    const db = await MvccStore.open('/db', { fs, segmentBytes: 1024 })
    for (let i = 1; i <= 6; i++) {
      await db.transaction(async (tx) => tx.put(`k${i % 3}`, 'v'.repeat(100)))
      if (i % 2 === 0) await db.checkpoint()
    }
    await db.close()
  },
  recover: async (fs) => {
    await (await MvccStore.open('/db', { fs })).close()
  },
})
