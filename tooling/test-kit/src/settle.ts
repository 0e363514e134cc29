/** What became of a set of concurrent operations: each one's settled result, in order. */
export interface Settled<T> {
  readonly results: PromiseSettledResult<T>[]
  readonly fulfilled: T[]
  readonly rejected: unknown[]
}

/** Waits for every promise to settle, never rejecting. */
export async function settle<T>(promises: Iterable<Promise<T>>): Promise<Settled<T>> {
  const results = await Promise.allSettled(promises)
  const fulfilled: T[] = []
  const rejected: unknown[] = []
  for (const r of results) {
    if (r.status === 'fulfilled') fulfilled.push(r.value)
    else rejected.push(r.reason)
  }
  return { results, fulfilled, rejected }
}
