/**
 * Freezes a decoded value and everything in it, so that events handed to many readers cannot be
 * changed by one of them. `Date` objects are frozen too, but their time can still be set with
 * `setTime` (a Date keeps it in an internal slot): the README asks readers to treat events as
 * read-only.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) deepFreeze(item)
  } else {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}
