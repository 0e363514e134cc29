/** Operations of the simulated disk, as fault injection and counters name them. */
export type SimOp =
  | 'open'
  | 'read'
  | 'write'
  | 'sync'
  | 'syncDir'
  | 'rename'
  | 'unlink'
  | 'truncate'
  | 'mkdir'
  | 'rmdir'
  | 'readdir'
  | 'stat'
  | 'readFile'
  | 'writeFile'
  | 'exists'
  | 'symlink'
  | 'link'
  | 'size'
  | 'close'

/** A fault to inject: the `nth` operation matching `op` (and `path`) fails with `error`. */
export interface FaultSpec {
  /** The operation to fail; `'any'` matches every operation. */
  readonly op: SimOp | 'any'
  /** Only operations on this path (exact) or on paths matching this pattern (for rename: the source). */
  readonly path?: string | RegExp
  /** 1 = the next matching operation (the default), 2 = the one after, ... */
  readonly nth?: number
  readonly error: 'EIO' | 'ENOSPC'
  /** For writes: a prefix of the data is written before the error. */
  readonly partial?: boolean
  /** Keep failing every matching operation from the nth on, until removed. */
  readonly sticky?: boolean
}

/** A fault armed by `SimFileSystem.injectFault`. */
export interface InjectedFault {
  /** Stops the fault from firing. */
  remove(): void
}

export class FaultTable {
  readonly #faults: { spec: FaultSpec; remaining: number }[] = []

  add(spec: FaultSpec): InjectedFault {
    const entry = { spec, remaining: spec.nth ?? 1 }
    this.#faults.push(entry)
    return {
      remove: () => {
        const i = this.#faults.indexOf(entry)
        if (i !== -1) this.#faults.splice(i, 1)
      },
    }
  }

  /** The fault that fires for this operation, if any (consuming it unless sticky). */
  match(op: SimOp, path: string): FaultSpec | undefined {
    for (const entry of this.#faults) {
      const { spec } = entry
      if (spec.op !== 'any' && spec.op !== op) continue
      if (spec.path !== undefined && !(typeof spec.path === 'string' ? spec.path === path : spec.path.test(path))) {
        continue
      }
      if (entry.remaining > 1) {
        entry.remaining--
        continue
      }
      if (!spec.sticky) this.#faults.splice(this.#faults.indexOf(entry), 1)
      return spec
    }
    return undefined
  }
}
