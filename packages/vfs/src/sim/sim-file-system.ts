import { posix } from 'node:path'
import type { FileHandle, FileStat, FileSystem, OpenFlags, OpenOptions } from '../file-system.js'
import { buildCrashImage, cloneCurrent, EnumeratingChooser, fingerprint, type Chooser } from './crash-image.js'
import { SimFsError, SimHaltedError } from './errors.js'
import { FaultTable, type FaultSpec, type InjectedFault, type SimOp } from './faults.js'
import { DirNode, FileNode, SymlinkNode, type DataOp, type DirOp, type Node } from './nodes.js'
import { Prng } from './prng.js'

/** Options of `new SimFileSystem(options)`. */
export interface SimOptions {
  /** Unsynced sectors lost in a crash read back as garbage rather than zeros. Default false. */
  readonly pessimistic?: boolean
  /** Seeds the choices the simulator makes while running (the length of a partial write). */
  readonly seed?: number
  /**
   * The disk's size: a write or truncate that would make the files' bytes exceed it fails with
   * `ENOSPC` (a write keeps the prefix that fits, as a real disk does). Default: unlimited.
   */
  readonly capacityBytes?: number
}

/** Operation counters, for asserting what a piece of code cost (syncs per group commit...). */
export interface SimStats {
  opens: number
  reads: number
  writes: number
  bytesWritten: number
  syncs: number
  syncDirs: number
  renames: number
  unlinks: number
  truncates: number
  mkdirs: number
}

const zeroStats = (): SimStats => ({
  opens: 0,
  reads: 0,
  writes: 0,
  bytesWritten: 0,
  syncs: 0,
  syncDirs: 0,
  renames: 0,
  unlinks: 0,
  truncates: 0,
  mkdirs: 0,
})

class SeededChooser implements Chooser {
  readonly #prng: Prng
  readonly #pessimistic: boolean
  constructor(seed: number, pessimistic: boolean) {
    this.#prng = new Prng(seed)
    this.#pessimistic = pessimistic
  }
  choose(n: number): number {
    return this.#prng.below(n)
  }
  fillLost(bytes: Uint8Array): void {
    if (this.#pessimistic) this.#prng.fill(bytes)
    else bytes.fill(0)
  }
}

/**
 * An in-memory `FileSystem` that can lose power. Deterministic: the same workload and seeds give
 * the same images. See DESIGN.md's crash model; `crash(seed)` returns what a power loss now could
 * leave, `crashImages()` every distinct such image of a small workload.
 */
export class SimFileSystem implements FileSystem {
  readonly pessimistic: boolean
  /** Counters since creation or `resetStats()`. */
  stats: SimStats = zeroStats()
  #root: DirNode
  #opCount = 0
  #haltAt = Infinity
  #dirOpSeq = 0
  readonly #faults = new FaultTable()
  readonly #prng: Prng
  /** See {@link SimOptions.capacityBytes}; settable while running (free space comes and goes). */
  capacityBytes: number

  constructor(options: SimOptions = {}, root?: DirNode, dirOpSeq = 0) {
    this.pessimistic = options.pessimistic ?? false
    this.capacityBytes = options.capacityBytes ?? Infinity
    this.#prng = new Prng(options.seed ?? 1)
    this.#root = root ?? new DirNode()
    this.#dirOpSeq = dirOpSeq
  }

  /** Operations performed so far (every call of the `FileSystem` and its handles counts one). */
  get opCount(): number {
    return this.#opCount
  }

  /** True once a `haltAfter` moment has passed. */
  get halted(): boolean {
    return this.#opCount >= this.#haltAt
  }

  /** After `nOps` more operations, every operation rejects with `SimHaltedError`: power is lost. */
  haltAfter(nOps: number): void {
    this.#haltAt = this.#opCount + Math.max(0, nOps)
  }

  /** Sets every counter of `stats` back to zero. */
  resetStats(): void {
    this.stats = zeroStats()
  }

  /**
   * Makes the `nth` operation matching `spec` (an `op`, and a `path` when given) fail with
   * `spec.error` (`EIO` or `ENOSPC`); a `partial` write keeps a prefix of its data; `sticky` keeps
   * failing every later match until the returned fault is removed.
   */
  injectFault(spec: FaultSpec): InjectedFault {
    return this.#faults.add(spec)
  }

  /** The image a power loss at this moment could leave, chosen by `seed`: a new, independent disk. */
  crash(seed: number, options: { pessimistic?: boolean } = {}): SimFileSystem {
    const pessimistic = options.pessimistic ?? this.pessimistic
    const root = buildCrashImage(this.#root, new SeededChooser(seed, pessimistic))
    return new SimFileSystem({ pessimistic: this.pessimistic, seed }, root)
  }

  /**
   * The process was killed (SIGKILL), the machine was not: returns the disk as the next process
   * sees it. Everything the OS had is there, synced or not, and what was never synced is still
   * pending, so a later `crash()` of the returned disk can lose it: a kill, then recovery, then a
   * power loss. This disk is halted for good (the dead process's handles fail).
   */
  killProcess(): SimFileSystem {
    this.#haltAt = this.#opCount
    return new SimFileSystem({ pessimistic: this.pessimistic, seed: this.#prng.next() }, this.#root, this.#dirOpSeq)
  }

  /** An exact copy of what the running system sees now, all of it durable. */
  clone(): SimFileSystem {
    return new SimFileSystem({ pessimistic: this.pessimistic }, cloneCurrent(this.#root))
  }

  /**
   * Every distinct image a power loss at this moment could leave (lost bytes as zeros), up to
   * `max` (default 10 000). For small workloads: the number of images grows fast.
   */
  crashImages(options: { max?: number } = {}): SimFileSystem[] {
    const max = options.max ?? 10_000
    const chooser = new EnumeratingChooser()
    const seen = new Set<string>()
    const images: SimFileSystem[] = []
    do {
      const root = buildCrashImage(this.#root, chooser)
      const key = fingerprint(root)
      if (!seen.has(key)) {
        seen.add(key)
        images.push(new SimFileSystem({ pessimistic: this.pessimistic }, root))
      }
    } while (images.length < max && chooser.advance())
    return images
  }

  /** Flips bits of a file's byte (`xorMask`, default 0xff), durably: damage at rest. */
  corruptByte(path: string, offset: number, xorMask = 0xff): void {
    const node = this.#lookup(path)
    if (node?.kind !== 'file') throw new SimFsError('ENOENT', 'corrupt', path)
    for (const bytes of [node.current, node.durable]) {
      if (offset < bytes.length) bytes.buf[offset]! ^= xorMask
    }
  }

  /** Every file and directory the running system sees, with sizes: for debugging a failing test. */
  dump(): string {
    const lines: string[] = []
    const walk = (dir: DirNode, prefix: string): void => {
      for (const name of [...dir.entries.keys()].sort()) {
        const node = dir.entries.get(name)!
        if (node.kind === 'dir') {
          lines.push(`${prefix}${name}/`)
          walk(node, `${prefix}${name}/`)
        } else if (node.kind === 'symlink') {
          lines.push(`${prefix}${name} -> ${node.target}`)
        } else {
          lines.push(`${prefix}${name} (${node.current.length} B, ${node.pending.length} unsynced)`)
        }
      }
    }
    walk(this.#root, '/')
    return lines.join('\n')
  }

  // ---- the FileSystem -------------------------------------------------------------------------

  /**
   * `options.dsync` (`O_DSYNC`) gives a handle whose every write is that write followed by a
   * `sync` of the file: two counted operations (`write`, then `sync`), so a crash can fall
   * between them, a `write` fault fails it before anything is durable, and a `sync` fault fails
   * it as a failed `fdatasync` does (the dirty data dropped, `EIO`).
   */
  async open(path: string, flags: OpenFlags, options?: OpenOptions): Promise<FileHandle> {
    this.#begin('open', path)
    this.stats.opens++
    if (flags === 'wx') {
      // O_EXCL: any entry, even a dangling symlink, is EEXIST.
      const spelled = this.#parentOf(path, 'open')
      if (spelled.parent.entries.has(spelled.name)) throw new SimFsError('EEXIST', 'open', path)
    }
    const { parent, name } = this.#parentOf(path, 'open', true)
    let node = parent.entries.get(name)
    if (node?.kind === 'dir') throw new SimFsError('EISDIR', 'open', path)
    if (node?.kind === 'symlink') throw new SimFsError('ELOOP', 'open', path)
    if (node !== undefined && flags === 'wx') throw new SimFsError('EEXIST', 'open', path)
    if (node === undefined) {
      if (flags === 'r' || flags === 'r+') throw new SimFsError('ENOENT', 'open', path)
      node = new FileNode()
      this.#dirOp([{ dir: parent, name, node }])
    } else if (flags === 'w') {
      this.#dataOp(node, { kind: 'truncate', length: 0 })
    }
    return new SimFileHandle(this, path, node, flags, options?.dsync === true && flags !== 'r')
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.#begin('readFile', path)
    this.stats.reads++
    const node = this.#resolve(path, 'open')
    if (node.kind !== 'file') throw new SimFsError('EISDIR', 'read', path)
    return node.current.view().slice()
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const fault = this.#begin('writeFile', path)
    this.stats.writes++
    const { parent, name } = this.#parentOf(path, 'open', true)
    let node = parent.entries.get(name)
    if (node?.kind === 'dir') throw new SimFsError('EISDIR', 'open', path)
    if (node?.kind === 'symlink') throw new SimFsError('ELOOP', 'open', path)
    if (node === undefined) {
      node = new FileNode()
      this.#dirOp([{ dir: parent, name, node }])
    }
    this.#dataOp(node, { kind: 'truncate', length: 0 })
    this.#writeData(node, 0, data, fault, path)
  }

  async rename(from: string, to: string): Promise<void> {
    this.#begin('rename', from)
    this.stats.renames++
    const src = this.#parentOf(from, 'rename')
    const dst = this.#parentOf(to, 'rename')
    const node = src.parent.entries.get(src.name)
    if (node === undefined) throw new SimFsError('ENOENT', 'rename', from)
    if (node.kind === 'dir' && this.#contains(node, dst.parent)) {
      throw new SimFsError('EINVAL', 'rename', from, 'cannot move a directory into itself')
    }
    const replaced = dst.parent.entries.get(dst.name)
    if (node === replaced) return
    if (replaced?.kind === 'dir' && (node.kind !== 'dir' || replaced.entries.size > 0)) {
      throw new SimFsError(node.kind === 'dir' ? 'ENOTEMPTY' : 'EISDIR', 'rename', to)
    }
    if (replaced !== undefined && replaced.kind !== 'dir' && node.kind === 'dir') throw new SimFsError('ENOTDIR', 'rename', to)
    this.#dirOp([
      { dir: src.parent, name: src.name, node: null },
      { dir: dst.parent, name: dst.name, node },
    ])
  }

  async unlink(path: string): Promise<void> {
    this.#begin('unlink', path)
    this.stats.unlinks++
    const { parent, name } = this.#parentOf(path, 'unlink')
    const node = parent.entries.get(name)
    if (node === undefined) throw new SimFsError('ENOENT', 'unlink', path)
    if (node.kind === 'dir') throw new SimFsError('EISDIR', 'unlink', path)
    this.#dirOp([{ dir: parent, name, node: null }])
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    this.#begin('mkdir', path)
    const parts = this.#split(path)
    // Recursive: create each missing ancestor (following symlinks on the way, as the kernel does).
    const first = options?.recursive === true ? 1 : parts.length
    for (let end = first; end <= parts.length; end++) {
      const at = '/' + parts.slice(0, end).join('/')
      const last = end === parts.length
      const { parent, name } = this.#parentOf(at, 'mkdir')
      const node = parent.entries.get(name)
      if (node !== undefined) {
        const target = node.kind === 'symlink' ? this.#walk(at, 'mkdir', false) : node
        if (target?.kind === 'dir' && (!last || options?.recursive === true)) continue
        throw new SimFsError(last || target?.kind === 'dir' ? 'EEXIST' : 'ENOTDIR', 'mkdir', path)
      }
      this.stats.mkdirs++
      this.#dirOp([{ dir: parent, name, node: new DirNode() }])
    }
  }

  async rmdir(path: string): Promise<void> {
    this.#begin('rmdir', path)
    const { parent, name } = this.#parentOf(path, 'rmdir')
    const node = parent.entries.get(name)
    if (node === undefined) throw new SimFsError('ENOENT', 'rmdir', path)
    if (node.kind !== 'dir') throw new SimFsError('ENOTDIR', 'rmdir', path)
    if (node.entries.size > 0) throw new SimFsError('ENOTEMPTY', 'rmdir', path)
    this.#dirOp([{ dir: parent, name, node: null }])
  }

  async readdir(path: string): Promise<string[]> {
    this.#begin('readdir', path)
    const node = this.#resolve(path, 'scandir')
    if (node.kind !== 'dir') throw new SimFsError('ENOTDIR', 'scandir', path)
    return [...node.entries.keys()].sort()
  }

  async stat(path: string): Promise<FileStat> {
    this.#begin('stat', path)
    const node = this.#resolve(path, 'stat')
    return {
      size: node.kind === 'file' ? node.current.length : 4096,
      isFile: node.kind === 'file',
      isDirectory: node.kind === 'dir',
      mtimeMs: node.mtimeMs,
      identity: `sim:${node.ino}`,
      links: node.kind === 'file' ? node.links : 1,
    }
  }

  async exists(path: string): Promise<boolean> {
    this.#begin('exists', path)
    return this.#lookup(path) !== undefined
  }

  async symlink(target: string, path: string): Promise<void> {
    this.#begin('symlink', path)
    const { parent, name } = this.#parentOf(path, 'symlink')
    if (parent.entries.has(name)) throw new SimFsError('EEXIST', 'symlink', path)
    this.#dirOp([{ dir: parent, name, node: new SymlinkNode(target) }])
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.#begin('link', existing)
    const src = this.#parentOf(existing, 'link')
    const node = src.parent.entries.get(src.name)
    if (node === undefined) throw new SimFsError('ENOENT', 'link', existing)
    if (node.kind === 'dir') throw new SimFsError('EPERM', 'link', existing)
    const dst = this.#parentOf(newPath, 'link')
    if (dst.parent.entries.has(dst.name)) throw new SimFsError('EEXIST', 'link', newPath)
    this.#dirOp([{ dir: dst.parent, name: dst.name, node }])
  }

  async syncDir(path: string): Promise<void> {
    this.#begin('syncDir', path)
    this.stats.syncDirs++
    const node = this.#resolve(path, 'open')
    if (node.kind !== 'dir') throw new SimFsError('ENOTDIR', 'fsync', path)
    this.#commitDirOps(node)
  }

  // ---- used by handles -------------------------------------------------------------------------

  /** @internal Counts an operation; throws if power is lost or a fault fires (returned if partial). */
  _begin(op: SimOp, path: string): FaultSpec | undefined {
    return this.#begin(op, path)
  }

  /** @internal */
  _write(node: FileNode, position: number, data: Uint8Array, fault: FaultSpec | undefined, path: string): void {
    this.#writeData(node, position, data, fault, path)
  }

  /** @internal */
  _truncate(node: FileNode, length: number, path: string): void {
    const growth = length - node.current.length
    if (growth > 0 && this.#room(growth) < growth) throw new SimFsError('ENOSPC', 'ftruncate', path, 'no space left on the simulated disk')
    this.stats.truncates++
    this.#dataOp(node, { kind: 'truncate', length })
  }

  /** @internal */
  _sync(node: FileNode, failed: boolean): void {
    this.stats.syncs++
    if (!failed) for (const op of node.pending) node.durable.apply(op)
    // A failed sync may have dropped the dirty data: it is never made durable, even by a later sync.
    node.pending = []
  }

  // ---- internals ---------------------------------------------------------------------------------

  #begin(op: SimOp, path: string): FaultSpec | undefined {
    if (this.#opCount >= this.#haltAt) throw new SimHaltedError(op, path)
    this.#opCount++
    const fault = this.#faults.match(op, path)
    if (fault === undefined) return undefined
    if (op === 'write' || op === 'writeFile') return fault // the caller writes a prefix, then throws
    if (op === 'sync') return fault // the caller drops the dirty data, then throws
    throw new SimFsError(fault.error, op, path, 'injected fault')
  }

  /** Bytes the files reachable now hold (each file once, however many names it has). */
  usedBytes(): number {
    let used = 0
    const seen = new Set<FileNode>()
    const walk = (dir: DirNode): void => {
      for (const node of dir.entries.values()) {
        if (node.kind === 'dir') walk(node)
        else if (node.kind === 'file' && !seen.has(node)) {
          seen.add(node)
          used += node.current.length
        }
      }
    }
    walk(this.#root)
    return used
  }

  /** How many of `growth` new bytes the disk still has room for. */
  #room(growth: number): number {
    if (this.capacityBytes === Infinity || growth <= 0) return growth
    return Math.max(0, Math.min(growth, this.capacityBytes - this.usedBytes()))
  }

  #writeData(node: FileNode, position: number, data: Uint8Array, fault: FaultSpec | undefined, path: string): void {
    this.stats.writes++
    const growth = position + data.length - node.current.length
    if (fault === undefined && growth > 0 && this.#room(growth) < growth) {
      // Disk full: the prefix that fits is written, then ENOSPC.
      const fits = Math.max(0, node.current.length + this.#room(growth) - position)
      if (fits > 0) this.#dataOp(node, { kind: 'write', position, data: data.slice(0, fits) })
      this.stats.bytesWritten += fits
      throw new SimFsError('ENOSPC', 'write', path, 'no space left on the simulated disk')
    }
    if (fault !== undefined) {
      const written = fault.partial === true ? this.#prng.below(data.length) : 0
      if (written > 0) this.#dataOp(node, { kind: 'write', position, data: data.slice(0, written) })
      this.stats.bytesWritten += written
      throw new SimFsError(fault.error, 'write', path, 'injected fault')
    }
    this.stats.bytesWritten += data.length
    this.#dataOp(node, { kind: 'write', position, data: data.slice() })
  }

  #dataOp(node: FileNode, op: DataOp): void {
    node.current.apply(op)
    node.pending.push(op)
  }

  #dirOp(effects: DirOp['effects']): void {
    const op: DirOp = { seq: ++this.#dirOpSeq, effects }
    for (const e of effects) {
      const before = e.dir.entries.get(e.name)
      if (before?.kind === 'file') before.links--
      if (e.node === null) e.dir.entries.delete(e.name)
      else e.dir.entries.set(e.name, e.node)
      if (e.node?.kind === 'file') e.node.links++
      if (!e.dir.pending.includes(op)) e.dir.pending.push(op)
    }
  }

  /**
   * Makes a directory's pending changes durable. A rename touching another directory is made
   * durable there too (one journal commit), and with it that directory's earlier changes.
   */
  #commitDirOps(dir: DirNode): void {
    const work: DirOp[] = [...dir.pending]
    const commit = new Set<DirOp>()
    while (work.length > 0) {
      const op = work.pop()!
      if (commit.has(op)) continue
      commit.add(op)
      for (const e of op.effects) {
        const i = e.dir.pending.indexOf(op)
        for (const earlier of e.dir.pending.slice(0, i)) if (!commit.has(earlier)) work.push(earlier)
      }
    }
    for (const op of [...commit].sort((a, b) => a.seq - b.seq)) {
      for (const e of op.effects) {
        if (e.node === null) e.dir.durable.delete(e.name)
        else e.dir.durable.set(e.name, e.node)
        e.dir.pending = e.dir.pending.filter((p) => p !== op)
      }
    }
  }

  /** The components of an absolute path, as given: `.` and `..` are resolved while walking, as the kernel does. */
  #split(path: string): string[] {
    if (!posix.isAbsolute(path)) throw new SimFsError('EINVAL', 'resolve', path, 'path must be absolute')
    return path.split('/').filter((p) => p.length > 0 && p !== '.')
  }

  #lookup(path: string): Node | undefined {
    return this.#walk(path, 'lookup', false)
  }

  /**
   * Resolves `path` as Linux does: symlinks followed (the last component too, unless
   * `followLast` is false), `..` taken in the directory actually reached (after a symlink, not in
   * the spelling), at most {@link MAX_SYMLINK_HOPS} links (`ELOOP`); ENOTDIR when a component is
   * a file (if `strict`), else undefined.
   */
  #walk(path: string, syscall: string, strict: boolean, followLast = true): Node | undefined {
    let parts = this.#split(path)
    const stack: DirNode[] = [this.#root]
    let node: Node = this.#root
    let hops = 0
    for (let i = 0; i < parts.length; ) {
      if (node.kind !== 'dir') {
        if (strict) throw new SimFsError('ENOTDIR', syscall, path)
        return undefined
      }
      const name = parts[i]!
      if (name === '..') {
        if (stack.length > 1) stack.pop()
        node = stack[stack.length - 1]!
        i++
        continue
      }
      const next: Node | undefined = node.entries.get(name)
      if (next === undefined) return undefined
      if (next.kind === 'symlink' && (i < parts.length - 1 || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new SimFsError('ELOOP', syscall, path)
        const target = next.target.split('/').filter((p) => p.length > 0 && p !== '.')
        if (next.target.startsWith('/')) {
          stack.length = 1
          node = this.#root
          parts = [...target, ...parts.slice(i + 1)]
          i = 0
        } else {
          parts = [...parts.slice(0, i), ...target, ...parts.slice(i + 1)]
        }
        continue
      }
      node = next
      if (next.kind === 'dir') stack.push(next)
      i++
    }
    return node
  }

  #resolve(path: string, syscall: string): Node {
    const node = this.#walk(path, syscall, true)
    if (node === undefined) throw new SimFsError('ENOENT', syscall, path)
    return node
  }

  /**
   * The directory holding `path`'s last component, and that component. With `followLast`, a
   * last component that is a symlink is followed to the entry it names (which may not exist yet,
   * as when `open` creates a file through a dangling link).
   */
  #parentOf(path: string, syscall: string, followLast = false, hops = 0): { parent: DirNode; name: string } {
    const parts = this.#split(path)
    const name = parts.pop()
    if (name === undefined || name === '..') throw new SimFsError(name === undefined ? 'EISDIR' : 'EINVAL', syscall, path)
    const parent = this.#resolve('/' + parts.join('/'), syscall)
    if (parent.kind !== 'dir') throw new SimFsError('ENOTDIR', syscall, path)
    const entry = parent.entries.get(name)
    if (followLast && entry?.kind === 'symlink') {
      if (hops >= MAX_SYMLINK_HOPS) throw new SimFsError('ELOOP', syscall, path)
      const target = entry.target.startsWith('/') ? entry.target : `/${[...parts, entry.target].join('/')}`
      return this.#parentOf(target, syscall, true, hops + 1)
    }
    return { parent, name }
  }

  /** True when `inner` is `dir` or lies somewhere below it. */
  #contains(dir: DirNode, inner: DirNode): boolean {
    if (dir === inner) return true
    for (const child of dir.entries.values()) if (child.kind === 'dir' && this.#contains(child, inner)) return true
    return false
  }
}

/** Symlinks followed while resolving one path before `ELOOP` (Linux's limit). */
const MAX_SYMLINK_HOPS = 40

class SimFileHandle implements FileHandle {
  readonly path: string
  readonly dsync: boolean
  readonly #sim: SimFileSystem
  readonly #node: FileNode
  readonly #flags: OpenFlags
  #cursor = 0
  #closed = false

  constructor(sim: SimFileSystem, path: string, node: FileNode, flags: OpenFlags, dsync: boolean) {
    this.#sim = sim
    this.path = path
    this.#node = node
    this.#flags = flags
    this.dsync = dsync
  }

  #check(op: SimOp, access?: 'read' | 'write'): void {
    if (this.#closed) throw new SimFsError('EBADF', op, this.path, 'handle closed')
    if (access === 'read' && (this.#flags === 'w' || this.#flags === 'wx' || this.#flags === 'a')) {
      throw new SimFsError('EBADF', op, this.path, 'not open for reading')
    }
    if (access === 'write' && this.#flags === 'r') throw new SimFsError('EBADF', op, this.path, 'not open for writing')
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    this.#check('read', 'read')
    this.#sim._begin('read', this.path)
    this.#sim.stats.reads++
    const content = this.#node.current.view()
    const n = Math.max(0, Math.min(buffer.length, content.length - position))
    if (n > 0) buffer.set(content.subarray(position, position + n))
    return n
  }

  async write(data: Uint8Array, position?: number): Promise<void> {
    if (data.length === 0 && !this.#closed) return // as Node: writing nothing asks nothing of the file
    this.#check('write', 'write')
    const fault = this.#sim._begin('write', this.path)
    const append = this.#flags === 'a' || this.#flags === 'a+'
    const at = append ? this.#node.current.length : (position ?? this.#cursor)
    this.#sim._write(this.#node, at, data, fault, this.path)
    if (!append && position === undefined) this.#cursor = at + data.length
    if (this.dsync) await this.sync()
  }

  async sync(): Promise<void> {
    this.#check('sync')
    const fault = this.#sim._begin('sync', this.path)
    this.#sim._sync(this.#node, fault !== undefined)
    if (fault !== undefined) throw new SimFsError(fault.error, 'fdatasync', this.path, 'injected fault')
  }

  async truncate(length: number): Promise<void> {
    this.#check('truncate', 'write')
    this.#sim._begin('truncate', this.path)
    this.#sim._truncate(this.#node, length, this.path)
  }

  async size(): Promise<number> {
    this.#check('size')
    this.#sim._begin('size', this.path)
    return this.#node.current.length
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#sim._begin('close', this.path)
    this.#closed = true
  }
}
