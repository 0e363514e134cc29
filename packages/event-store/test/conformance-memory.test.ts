import { describe, it } from 'vitest'
import { memoryBackend } from '@quire/event-store'
import { backendConformanceContext, eventStoreConformanceCases } from '@quire/event-store/conformance'

const supports = { reopen: true, lock: true, appendFailure: true, crash: false } as const

describe('conformance: memoryBackend', () => {
  for (const c of eventStoreConformanceCases) {
    const missing = (c.requires ?? []).filter((capability) => !supports[capability])
    // A case needing what the memory backend lacks is reported as skipped, never dropped.
    it.skipIf(missing.length > 0)(`${c.group}: ${c.name}`, async () => {
      const backend = memoryBackend()
      const ctx = backendConformanceContext(backend, { supports, failNextAppend: (outcome) => backend.failNextAppend(outcome) })
      try {
        await c.run(ctx)
      } finally {
        await ctx.dispose()
      }
    })
  }
})
