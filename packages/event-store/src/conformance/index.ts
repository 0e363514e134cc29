import { aggregateCases } from './cases/aggregates.js'
import { appendCases } from './cases/append.js'
import { deletionCases } from './cases/deletion.js'
import { idempotencyCases } from './cases/idempotency.js'
import { lifecycleCases } from './cases/lifecycle.js'
import { projectionCases } from './cases/projections.js'
import { readCases } from './cases/reads.js'
import { subscriptionCases } from './cases/subscriptions.js'
import type { EventStoreConformanceCase } from './harness.js'

export {
  backendConformanceContext,
  type BackendContextOptions,
  type ConformanceCapability,
  type ConformanceOpenOptions,
  type ConformanceSupports,
  type DisposableConformanceContext,
  type EventStoreConformanceCase,
  type EventStoreConformanceContext,
} from './harness.js'
export { collect, rejectsWithCode } from './assertions.js'

/**
 * The event store's contract as executable cases (EVENT-STORE.md (d)), run against every backend
 * the way `@quire/vfs/conformance` is: `for (const c of eventStoreConformanceCases) test(c.name,
 * () => c.run(ctx))`, with a fresh store per case (see {@link backendConformanceContext}).
 */
export const eventStoreConformanceCases: readonly EventStoreConformanceCase[] = [
  ...appendCases,
  ...idempotencyCases,
  ...readCases,
  ...subscriptionCases,
  ...projectionCases,
  ...aggregateCases,
  ...deletionCases,
  ...lifecycleCases,
]
