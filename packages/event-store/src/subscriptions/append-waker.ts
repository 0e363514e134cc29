import { setImmediate as nextTurn } from 'node:timers/promises'
import type { AbortSignalLike } from '../abort-signal.js'
import type { EventStoreDriver } from '../driver.js'

interface Waiter {
  /** Wake once the head is past this position (`undefined`: past nothing, i.e. any event). */
  readonly after: bigint | undefined
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

const isPast = (head: bigint | undefined, after: bigint | undefined): boolean =>
  head !== undefined && (after === undefined || head > after)

const lower = (a: bigint | undefined, b: bigint | undefined): boolean => a === undefined ? b !== undefined : b !== undefined && a < b

/**
 * One wake-up for every reader of a store in this process: however many subscriptions, durable
 * subscriptions and projections wait for new events, there is at most one pending
 * `driver.waitForAppend` (for the lowest position anyone waits after). When it resolves, the
 * head is read once and every waiter it passed is woken; they re-read the log themselves
 * (a wake-up carries no events, so it can never be the cause of a skip or a duplicate).
 */
export class AppendWaker {
  readonly #driver: Pick<EventStoreDriver, 'waitForAppend' | 'headPosition'>
  readonly #waiters = new Set<Waiter>()
  #running = false
  /** Aborts the pending driver wait: no one is left, or someone waits for less. */
  #pending: { readonly after: bigint | undefined; readonly abort: AbortController } | undefined
  #closed = false

  constructor(driver: Pick<EventStoreDriver, 'waitForAppend' | 'headPosition'>) {
    this.#driver = driver
  }

  /**
   * Resolves once the store's head is past `after` (or right away when it already is), or when
   * `signal` aborts or the waker closes. Rejects only if the driver's wait or head read fails.
   */
  wait(after: bigint | undefined, signal: AbortSignalLike): Promise<void> {
    if (signal.aborted || this.#closed) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#remove(waiter)
        resolve()
      }
      const waiter: Waiter = {
        after,
        resolve: () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort)
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
      // Someone waits for less than the pending wait covers: restart it lower.
      if (this.#pending !== undefined && lower(after, this.#pending.after)) this.#pending.abort.abort()
      if (!this.#running) void this.#loop()
    })
  }

  /** Wakes every waiter (they then see a closed store) and stops waiting on the driver. */
  close(): void {
    this.#closed = true
    this.#pending?.abort.abort()
    for (const w of this.#waiters) w.resolve()
    this.#waiters.clear()
  }

  #remove(waiter: Waiter): void {
    this.#waiters.delete(waiter)
    if (this.#waiters.size === 0) this.#pending?.abort.abort()
  }

  async #loop(): Promise<void> {
    this.#running = true
    try {
      while (this.#waiters.size > 0 && !this.#closed) {
        let after: bigint | undefined
        let first = true
        for (const w of this.#waiters) {
          if (first || lower(w.after, after)) after = w.after
          first = false
        }
        const abort = new AbortController()
        this.#pending = { after, abort }
        await this.#driver.waitForAppend(after, abort.signal)
        this.#pending = undefined
        // The driver wakes us when it acknowledges a commit, a few microtasks before the append
        // that made it resolves to its caller. One turn of the event loop lets those resolve
        // first, so a woken reader never shows an event before its append has resolved.
        await nextTurn()
        if (this.#waiters.size === 0 || this.#closed) break
        const head = await this.#driver.headPosition()
        for (const w of this.#waiters) {
          if (isPast(head, w.after)) {
            this.#waiters.delete(w)
            w.resolve()
          }
        }
      }
    } catch (error) {
      for (const w of this.#waiters) w.reject(error)
      this.#waiters.clear()
    } finally {
      this.#pending = undefined
      this.#running = false
    }
  }
}
