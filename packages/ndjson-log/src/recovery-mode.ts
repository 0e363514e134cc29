/** How a damaged line in the middle of a file is handled. See FORMAT.md. */
export type RecoveryMode = 'strict' | 'point-in-time' | 'skip-corrupt'
