/** A change to a file's bytes not yet made durable by `sync`. */
export type DataOp =
  | { readonly kind: 'write'; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'truncate'; readonly length: number }

/** A growable byte array: a file's content. */
export class Bytes {
  buf: Uint8Array
  length: number
  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.buf = new Uint8Array(Math.max(64, initial.length))
    this.buf.set(initial)
    this.length = initial.length
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
  copy(): Bytes {
    return new Bytes(this.view())
  }
  #reserve(n: number): void {
    if (n <= this.buf.length) return
    const grown = new Uint8Array(Math.max(n, this.buf.length * 2))
    grown.set(this.buf.subarray(0, this.length))
    this.buf = grown
  }
  setLength(n: number): void {
    if (n > this.length) {
      this.#reserve(n)
      this.buf.fill(0, this.length, n)
    }
    this.length = n
  }
  write(position: number, data: Uint8Array): void {
    if (data.length === 0) return // as pwrite: writing nothing does not extend the file
    const end = position + data.length
    if (end > this.length) this.setLength(end)
    this.buf.set(data, position)
  }
  apply(op: DataOp): void {
    if (op.kind === 'write') this.write(op.position, op.data)
    else this.setLength(op.length)
  }
}

/**
 * Inode numbers of the simulated disks: every node ever made gets its own, so two names reach
 * the same node exactly when their identities are equal. Process-wide, not per disk: a crash
 * image's nodes are new nodes, and a lock or a cache must never take them for the old ones.
 */
let lastIno = 0
export function nextIno(): number {
  return ++lastIno
}

export class FileNode {
  readonly kind = 'file'
  readonly ino = nextIno()
  /** Directory entries naming this file (hard links); kept by the simulator as entries change. */
  links = 0
  /** What the running system reads. */
  current: Bytes
  /** What survives any crash: the content as of the last successful sync. */
  durable: Bytes
  /** Changes since then, in order; a crash keeps a prefix of them (the last one maybe torn). */
  pending: DataOp[] = []
  mtimeMs: number
  constructor(content?: Uint8Array, mtimeMs = 0) {
    this.current = new Bytes(content)
    this.durable = new Bytes(content)
    this.mtimeMs = mtimeMs
  }
}

/** A change to directory entries: one atomic step, maybe touching two directories (a rename). */
export interface DirOp {
  readonly seq: number
  readonly effects: readonly { readonly dir: DirNode; readonly name: string; readonly node: Node | null }[]
}

export class DirNode {
  readonly kind = 'dir'
  readonly ino = nextIno()
  /** The entries the running system sees. */
  readonly entries = new Map<string, Node>()
  /** The entries that survive any crash. */
  readonly durable = new Map<string, Node>()
  /** Entry changes since the last syncDir, in order; a crash keeps a prefix of them. */
  pending: DirOp[] = []
  mtimeMs = 0
}

/** A symbolic link: a name that stands for the path `target` (absolute, or relative to its directory). */
export class SymlinkNode {
  readonly kind = 'symlink'
  readonly ino = nextIno()
  readonly target: string
  mtimeMs = 0
  constructor(target: string) {
    this.target = target
  }
}

export type Node = FileNode | DirNode | SymlinkNode
