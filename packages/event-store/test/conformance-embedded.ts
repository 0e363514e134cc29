// Runs A1's conformance suite (@quire/event-store/conformance) against one embedded backend on
// the simulated disk: a fresh disk per case, reopen and crash through the simulator, commit
// failures injected as disk faults.
import type { SimFileSystem as SimFs } from '@quire/vfs/sim'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, it } from 'vitest'
import { backendConformanceContext, eventStoreConformanceCases, type ConformanceSupports } from '@quire/event-store/conformance'
import { backendFor, type BackendName } from './parts.js'
import { WriteFailureDisk } from './write-failure-disk.js'

/** The files of each backend's log (not its side store), for fault injection. */
const LOG_FILES: Record<BackendName, RegExp> = {
  wal: /^\/data\/store\/log\//,
  ndjson: /^\/data\/events\.ndjson$/,
  'record-keeper': /^\/data\/store\/log\//,
}

/**
 * Makes the next commit fail on `disk` (over the simulated disk `fs`):
 * - `'rolled-back'`: the log's next write fails with ENOSPC, and so does a retry of the same
 *   bytes (a one-shot fault would not do: the NDJSON log retries a write that carried fresh free
 *   space with the lines alone); the log rolls it back.
 * - `'written'`: the log's fdatasync fails (EIO) and so does its attempt to cut the unsynced
 *   bytes back: the commit stays in the page cache, where a reopen without a power cut reads it.
 */
function injectFailure(name: BackendName, disk: WriteFailureDisk, fs: SimFs, outcome: 'rolled-back' | 'written'): void {
  const path = LOG_FILES[name]
  if (outcome === 'rolled-back') {
    disk.failNextWrite(path)
  } else {
    fs.injectFault({ op: 'sync', path, error: 'EIO' })
    fs.injectFault({ op: 'truncate', path, error: 'EIO' })
  }
}

export function runConformance(name: BackendName, options: { readonly pessimistic?: boolean } = {}): void {
  // The record keeper cannot roll a failed write back (any failure poisons until reopen), so the
  // 'rolled-back' half of the appendFailure capability is not honest for it: its failure paths
  // are tested in faults.test.ts instead.
  const supports: ConformanceSupports = { reopen: true, lock: true, appendFailure: name !== 'record-keeper', crash: true }
  describe(`conformance: ${name} backend on the simulated disk`, () => {
    let seed = 1
    for (const c of eventStoreConformanceCases) {
      const missing = (c.requires ?? []).filter((capability) => !supports[capability])
      // A case needing what this backend lacks is reported as skipped, never dropped.
      it.skipIf(missing.length > 0)(`${c.group}: ${c.name}`, async () => {
        let fs = new SimFileSystem({ pessimistic: options.pessimistic ?? false, seed: seed++ })
        let disk = new WriteFailureDisk(fs)
        const ctx = backendConformanceContext(backendFor(name, disk), {
          supports,
          failNextAppend: (outcome) => injectFailure(name, disk, fs, outcome),
          crash: () => {
            fs = fs.crash(seed++)
            disk = new WriteFailureDisk(fs)
            return backendFor(name, disk)
          },
        })
        try {
          await c.run(ctx)
        } finally {
          await ctx.dispose()
        }
      })
    }
  })
}
