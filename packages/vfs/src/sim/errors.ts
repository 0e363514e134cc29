/** An error as `node:fs` would throw it, with its `code`. */
export class SimFsError extends Error {
  readonly code: string
  readonly syscall: string
  readonly path: string
  constructor(code: string, syscall: string, path: string, detail?: string) {
    super(`${code}: ${detail ?? 'simulated error'}, ${syscall} '${path}'`)
    this.name = 'SimFsError'
    this.code = code
    this.syscall = syscall
    this.path = path
  }
}

/**
 * Every operation after the moment `haltAfter` set rejects with this: the power went out.
 * Nothing it was asked to do happened.
 */
export class SimHaltedError extends Error {
  readonly code = 'EHALTED'
  constructor(syscall: string, path: string) {
    super(`EHALTED: the simulated disk is halted (power lost), ${syscall} '${path}'`)
    this.name = 'SimHaltedError'
  }
}
