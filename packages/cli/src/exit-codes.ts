/** The process exit codes of every command (`verify`'s contract; the others use the same three). */
export const EXIT_OK = 0
/** Damage was found (`verify`), or a repair or an import left something to look at. */
export const EXIT_DAMAGE = 1
/** The command could not run: a bad argument, no store at the path, a locked store, an I/O error. */
export const EXIT_FAILED = 2

/** One of the three exit codes. */
export type ExitCode = typeof EXIT_OK | typeof EXIT_DAMAGE | typeof EXIT_FAILED
