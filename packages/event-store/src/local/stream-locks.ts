/**
 * One operation per stream at a time: a per-stream FIFO queue. It is what keeps the expected
 * revision check simple and provable in the LocalDriver: while an operation holds a stream, the
 * stream's committed state is its whole state (no other append to it is in flight), so revisions
 * can be assigned at acceptance. Operations on different streams hold different locks and run
 * concurrently, which lets the log group-commit them.
 *
 * A multi-stream operation takes its streams' locks in sorted order, so two of them can never
 * wait for each other in a cycle.
 */
export class StreamLocks {
  /**
   * A stream is held while it has an entry: `null` while nobody waits (no array per operation:
   * most find their stream free and leave it free), else the operations waiting for it.
   */
  readonly #held = new Map<string, (() => void)[] | null>()

  /** Number of streams held now. */
  get heldCount(): number {
    return this.#held.size
  }

  /**
   * Takes the locks of `names` (sorted, no duplicates). Returns `undefined` when all were free
   * and are now held (no promise, no tick: the common case costs nothing), else a promise that
   * resolves once all are held. Waiters are served in call order. The caller must call
   * {@link StreamLocks.release} with the same names exactly once.
   */
  acquire(names: readonly string[]): Promise<void> | undefined {
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      if (!this.#held.has(name)) this.#held.set(name, null)
      else return this.#acquireRest(names, i)
    }
    return undefined
  }

  async #acquireRest(names: readonly string[], from: number): Promise<void> {
    for (let i = from; i < names.length; i++) {
      const name = names[i]!
      if (!this.#held.has(name)) this.#held.set(name, null)
      else await new Promise<void>((resolve) => this.#wait(name, resolve))
    }
  }

  #wait(name: string, resolve: () => void): void {
    const waiting = this.#held.get(name)
    if (waiting === undefined) throw new Error(`StreamLocks: ${name} waited for but not held`)
    if (waiting === null) this.#held.set(name, [resolve])
    else waiting.push(resolve)
  }

  /** Releases the locks of `names`, handing each to its next waiter in arrival order. */
  release(names: readonly string[]): void {
    for (const name of names) {
      const waiting = this.#held.get(name)
      if (waiting === undefined) throw new Error(`StreamLocks: ${name} released but not held`)
      const next = waiting === null ? undefined : waiting.shift()
      if (next === undefined) this.#held.delete(name)
      else next() // the lock passes to `next` without ever being free
    }
  }
}

/** The sorted, distinct names of `names`. */
export function lockOrder(names: readonly string[]): string[] {
  return [...new Set(names)].sort()
}
