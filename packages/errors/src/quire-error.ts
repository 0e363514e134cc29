/**
 * Base class of every error a Quire package throws on purpose. `code` is the contract: it is
 * stable across versions and the same condition has the same code in every package (the list is
 * in ERRORS.md); messages are for people and may change. `name` is the concrete class's name.
 *
 * The idea of one code vocabulary documented as a contract is the Level ecosystem's
 * (`LEVEL_NOT_FOUND`, … listed in abstract-level's README), without its prefix: Quire codes are
 * plain (`CORRUPT`, not `WAL_CORRUPT`) because the package is visible from the class and stack.
 */
export class QuireError extends Error {
  /** Stable machine-readable code, e.g. `CORRUPT`. Test this, not the message or the class. */
  readonly code: string

  /**
   * @param code - the stable code (see ERRORS.md).
   * @param message - a human-readable message; not part of the contract.
   * @param options - `cause`: the error underneath (a file-system error, a decoder's error).
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/**
 * Whether `err` is a {@link QuireError} (from any Quire package), and, when `code` is given, one
 * with that code. Works across copies of this package (two versions installed side by side)
 * because it tests the shape (`name` chain aside): an `Error` whose `code` is a string and whose
 * prototype chain contains a class named `QuireError`.
 *
 * @example
 * ```ts
 * if (isQuireError(err, 'POISONED')) await store.close()
 * ```
 */
export function isQuireError(err: unknown, code?: string): err is QuireError {
  if (!(err instanceof Error)) return false
  if (!(err instanceof QuireError) && !hasQuireErrorInChain(err)) return false
  const actual = (err as { code?: unknown }).code
  return typeof actual === 'string' && (code === undefined || actual === code)
}

function hasQuireErrorInChain(err: Error): boolean {
  for (let proto: unknown = Object.getPrototypeOf(err); proto !== null && proto !== undefined; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor
    if (ctor?.name === 'QuireError') return true
  }
  return false
}

/**
 * The file system's error code (`'ENOSPC'`, `'EIO'`) of `cause`, or `undefined` when it has
 * none: what {@link WriteFailedError.errno} holds and what messages quote.
 */
export function errnoOf(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' ? code : undefined
}
