/**
 * `Promise.all(items.map(fn))` with at most `limit` calls of `fn` in flight: a store that walks
 * thousands of files must not open them all at once (EMFILE, and a disk queue no faster for it).
 * Results keep the order of `items`. The first rejection rejects the whole call (the other
 * workers run on to the end of the list, their results dropped).
 *
 * @param limit - calls in flight at most; an integer >= 1.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}
