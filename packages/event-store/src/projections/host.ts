import { ClosedError, InvalidArgumentError } from '../errors.js'
import type { RecordedEvent } from '../types.js'
import type { SubscriptionHub } from '../subscriptions/hub.js'
import { AsyncProjection } from './async.js'
import { defineProjection, type Projection } from './definition.js'
import type { ProjectionHandle } from './handle.js'
import { InlineProjection, type InlineDriver } from './inline.js'

/** Options of `store.project`. */
export interface ProjectOptions {
  /**
   * `'inline'`: applied by the store to each acknowledged commit before its append resolves;
   * `evolve` runs on the append's path, so keep it cheap. It sees the commits made through
   * this store object (on a shared PostgreSQL database, other processes' commits reach it
   * only at its next start: use `'async'` there).
   * `'async'`: a subscription that follows the log on its own; appends never wait for it.
   */
  readonly mode: 'inline' | 'async'
}

/**
 * The store's projections. One per store, next to its {@link SubscriptionHub}; the facade
 * calls {@link ProjectionHost.applyCommit} with each acknowledged commit.
 */
export class ProjectionHost {
  readonly #driver: InlineDriver
  readonly #hub: SubscriptionHub
  readonly #inline = new Set<InlineProjection<unknown>>()
  readonly #names = new Set<string>()

  constructor(driver: InlineDriver, hub: SubscriptionHub) {
    this.#driver = driver
    this.#hub = hub
  }

  /**
   * Starts `projection` (checked by {@link defineProjection} again) and resolves with its
   * handle once its state is loaded: inline ones caught up to the head, async ones running.
   * @throws InvalidArgumentError a bad definition or mode, or a projection of this name runs.
   * @throws ClosedError the store is closed.
   */
  async project<State>(projection: Projection<State>, options: ProjectOptions): Promise<ProjectionHandle<State>> {
    const p = defineProjection(projection)
    const mode = (options as ProjectOptions | undefined)?.mode
    if (mode !== 'inline' && mode !== 'async') throw new InvalidArgumentError("mode must be 'inline' or 'async'")
    if (this.#hub.closed) throw new ClosedError()
    if (this.#names.has(p.name)) throw new InvalidArgumentError(`projection ${JSON.stringify(p.name)} is already running`)
    this.#names.add(p.name)
    if (mode === 'async') {
      const handle = new AsyncProjection(p, this.#driver, this.#hub, () => this.#names.delete(p.name))
      try {
        await handle.start()
      } catch (error) {
        this.#names.delete(p.name)
        throw error
      }
      return handle
    }
    const handle: InlineProjection<State> = new InlineProjection(p, this.#driver, () => {
      this.#names.delete(p.name)
      this.#inline.delete(handle as InlineProjection<unknown>)
      this.#hub.leave(handle)
    })
    // Registered before the first await: every commit from here on reaches it.
    this.#inline.add(handle as InlineProjection<unknown>)
    this.#hub.join(handle)
    await handle.start()
    return handle
  }

  /**
   * The commit hook: the facade calls it with `DriverAppendOutcome.events` of every
   * acknowledged append, synchronously after the driver resolved and before the append
   * resolves, in acknowledgment (= position) order. Never throws.
   */
  applyCommit(events: readonly RecordedEvent[]): void {
    if (events.length === 0) return
    for (const p of this.#inline) p.applyCommit(events)
  }
}
