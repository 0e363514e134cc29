/**
 * The part of an `AbortSignal` the store and its drivers use. A DOM or Node.js `AbortSignal` is
 * one. Declared here so that the package's declarations compile without `lib: ["dom"]` and
 * without `@types/node`.
 */
export interface AbortSignalLike {
  /** True once the signal has aborted. */
  readonly aborted: boolean
  /** Calls `listener` when the signal aborts. */
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void
  /** Undoes {@link AbortSignalLike.addEventListener}. */
  removeEventListener(type: 'abort', listener: () => void): void
}
