// Runs A1's conformance suite (@quire/event-store/conformance) against one embedded backend on
// the simulated disk: a fresh disk per case, reopen and crash through the simulator, commit
// failures injected as disk faults.
import type { SimFileSystem as SimFs } from '@quire/vfs/sim'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, it } from 'vitest'
import { backendConformanceContext, eventStoreConformanceCases, type ConformanceSupports } from '@quire/event-store/conformance'
import { backendFor, type BackendName } from './parts.js'

/** The files of each backend's log (not its side store), for fault injection. */
const LOG_FILES: Record<BackendName, RegExp> = {
  wal: /^\/data\/store\/log\//,
  ndjson: /^\/data\/events\.ndjson$/,
  'record-keeper': /^\/data\/store\/log\//,
}

/**
 * Makes the next commit fail on `fs`:
 * - `'rolled-back'`: ENOSPC in the middle of the log's write; the log rolls it back.
 * - `'written'`: the log's fdatasync fails (EIO) and so does its attempt to cut the unsynced
 *   bytes back: the commit stays in the page cache, where a reopen without a power cut reads it.
 */
function injectFailure(name: BackendName, fs: SimFs, outcome: 'rolled-back' | 'written'): void {
  const path = LOG_FILES[name]
  if (outcome === 'rolled-back') {
    fs.injectFault({ op: 'write', path, error: 'ENOSPC', partial: true })
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
        const ctx = backendConformanceContext(backendFor(name, fs), {
          supports,
          failNextAppend: (outcome) => injectFailure(name, fs, outcome),
          crash: () => {
            fs = fs.crash(seed++)
            return backendFor(name, fs)
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
