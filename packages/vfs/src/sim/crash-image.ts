import { DirNode, FileNode, SymlinkNode, type Bytes, type DirOp, type Node } from './nodes.js'

/** Where a crash image's choices come from: a seeded PRNG, or an enumerator of every choice. */
export interface Chooser {
  /** An integer in [0, n). */
  choose(n: number): number
  /** Fills bytes that were being written when the power went out (zeros, or garbage if pessimistic). */
  fillLost(bytes: Uint8Array): void
}

/** The simulated disk's sector: the unit in which a write can tear (512 bytes). */
export const SECTOR_BYTES = 512

/** Every directory the image could hold, in a deterministic order (breadth first, names sorted). */
function allDirs(root: DirNode): DirNode[] {
  const seen = new Set<DirNode>([root])
  const order: DirNode[] = [root]
  for (let i = 0; i < order.length; i++) {
    const dir = order[i]!
    const children: Node[] = []
    for (const map of [dir.durable, dir.entries]) {
      for (const name of [...map.keys()].sort()) children.push(map.get(name)!)
    }
    for (const op of dir.pending) for (const e of op.effects) if (e.node) children.push(e.node)
    for (const child of children) {
      if (child.kind === 'dir' && !seen.has(child)) {
        seen.add(child)
        order.push(child)
      }
    }
  }
  return order
}

/**
 * Chooses which directory changes survive: per directory a prefix of its pending changes, and a
 * change touching two directories (a rename across them) survives only if both prefixes hold it.
 */
function survivingDirOps(dirs: readonly DirNode[], chooser: Chooser): Map<DirNode, number> {
  const cut = new Map<DirNode, number>()
  for (const dir of dirs) if (dir.pending.length > 0) cut.set(dir, chooser.choose(dir.pending.length + 1))
  const survives = (op: DirOp): boolean =>
    op.effects.every((e) => e.dir.pending.indexOf(op) < (cut.get(e.dir) ?? 0))
  for (let changed = true; changed; ) {
    changed = false
    for (const [dir, k] of cut) {
      const firstLost = dir.pending.slice(0, k).findIndex((op) => !survives(op))
      if (firstLost !== -1) {
        cut.set(dir, firstLost)
        changed = true
      }
    }
  }
  return cut
}

/** The content a crash leaves of a file: durable bytes, a prefix of pending ops, maybe a torn one. */
function crashContent(file: FileNode, chooser: Chooser): Bytes {
  const content = file.durable.copy()
  const n = file.pending.length
  if (n === 0) return content
  const k = chooser.choose(n + 1)
  for (let i = 0; i < k; i++) content.apply(file.pending[i]!)
  const lost = file.pending[k]
  if (lost === undefined || lost.kind !== 'write' || lost.data.length === 0) return content
  const { position, data } = lost
  const firstSector = Math.floor(position / SECTOR_BYTES)
  const sectors = Math.floor((position + data.length - 1) / SECTOR_BYTES) - firstSector + 1
  switch (chooser.choose(3)) {
    case 0: // the write left no trace
      return content
    case 1: {
      // torn at a sector boundary: a prefix of its sectors made it, the sector after may be garbage
      if (sectors < 2) return content
      const kept = (firstSector + 1 + chooser.choose(sectors - 1)) * SECTOR_BYTES - position
      content.write(position, data.subarray(0, kept))
      const lostEnd = Math.min(position + data.length, content.length, (position + kept) + SECTOR_BYTES)
      if (lostEnd > position + kept) {
        const lostBytes = new Uint8Array(lostEnd - position - kept)
        chooser.fillLost(lostBytes)
        if (lostBytes.some((b) => b !== 0)) content.write(position + kept, lostBytes)
      }
      return content
    }
    default: {
      // the file's size was updated but its data was not: the range reads back as zeros (or garbage)
      const end = position + data.length
      if (end <= content.length) return content
      const start = Math.max(position, content.length)
      const filler = new Uint8Array(end - start)
      chooser.fillLost(filler)
      content.write(start, filler)
      return content
    }
  }
}

/** Builds the tree a power loss could leave, as new nodes with nothing pending. */
export function buildCrashImage(root: DirNode, chooser: Chooser): DirNode {
  const dirs = allDirs(root)
  const cut = survivingDirOps(dirs, chooser)
  const survivingEntries = new Map<DirNode, Map<string, Node>>()
  for (const dir of dirs) {
    const entries = new Map(dir.durable)
    for (const op of dir.pending.slice(0, cut.get(dir) ?? 0)) {
      for (const e of op.effects) {
        if (e.dir !== dir) continue
        if (e.node === null) entries.delete(e.name)
        else entries.set(e.name, e.node)
      }
    }
    survivingEntries.set(dir, entries)
  }
  const copies = new Map<Node, Node>()
  const copy = (node: Node): Node => {
    const done = copies.get(node)
    if (done !== undefined) return done
    if (node.kind === 'file') {
      const file = new FileNode(undefined, node.mtimeMs)
      file.current = crashContent(node, chooser)
      file.durable = file.current.copy()
      copies.set(node, file)
      return file
    }
    if (node.kind === 'symlink') {
      const link = copySymlink(node)
      copies.set(node, link)
      return link
    }
    const dir = new DirNode()
    copies.set(node, dir)
    const entries = survivingEntries.get(node) ?? node.durable
    for (const name of [...entries.keys()].sort()) addEntry(dir, name, copy(entries.get(name)!))
    return dir
  }
  return copy(root) as DirNode
}

function copySymlink(node: SymlinkNode): SymlinkNode {
  const link = new SymlinkNode(node.target)
  link.mtimeMs = node.mtimeMs
  return link
}

/** A durable entry of a new tree; counts the file's names (a hard link is a second entry). */
function addEntry(dir: DirNode, name: string, child: Node): void {
  dir.entries.set(name, child)
  dir.durable.set(name, child)
  if (child.kind === 'file') child.links++
}

/** An exact copy of what the running system sees, all of it durable. */
export function cloneCurrent(root: DirNode): DirNode {
  const copies = new Map<Node, Node>()
  const copy = (node: Node): Node => {
    const done = copies.get(node)
    if (done !== undefined) return done
    if (node.kind === 'file') {
      const file = new FileNode(node.current.view(), node.mtimeMs)
      copies.set(node, file)
      return file
    }
    if (node.kind === 'symlink') {
      const link = copySymlink(node)
      copies.set(node, link)
      return link
    }
    const dir = new DirNode()
    copies.set(node, dir)
    for (const name of [...node.entries.keys()].sort()) addEntry(dir, name, copy(node.entries.get(name)!))
    return dir
  }
  return copy(root) as DirNode
}

/** A text rendering of a tree (names, kinds, content hashes), to tell images apart. */
export function fingerprint(root: DirNode): string {
  const parts: string[] = []
  const walk = (dir: DirNode, prefix: string): void => {
    for (const name of [...dir.entries.keys()].sort()) {
      const node = dir.entries.get(name)!
      if (node.kind === 'dir') {
        parts.push(`${prefix}${name}/`)
        walk(node, `${prefix}${name}/`)
      } else if (node.kind === 'symlink') {
        parts.push(`${prefix}${name}->${node.target}`)
      } else {
        parts.push(`${prefix}${name}=${Buffer.from(node.current.view()).toString('base64')}`)
      }
    }
  }
  walk(root, '/')
  return parts.join('\n')
}

/**
 * Enumerates choice sequences like an odometer: each run follows the recorded choices, takes 0
 * for new ones, and the next run advances the last choice that can still advance.
 */
export class EnumeratingChooser implements Chooser {
  readonly #choices: number[] = []
  readonly #arity: number[] = []
  #at = 0
  choose(n: number): number {
    const i = this.#at++
    if (i >= this.#choices.length) {
      this.#choices.push(0)
      this.#arity.push(n)
    }
    this.#arity[i] = n
    return Math.min(this.#choices[i]!, n - 1)
  }
  fillLost(bytes: Uint8Array): void {
    bytes.fill(0)
  }
  /** Moves to the next choice sequence; false when every sequence was visited. */
  advance(): boolean {
    this.#choices.length = this.#at
    this.#arity.length = this.#at
    this.#at = 0
    while (this.#choices.length > 0) {
      const last = this.#choices.length - 1
      if (this.#choices[last]! + 1 < this.#arity[last]!) {
        this.#choices[last]!++
        return true
      }
      this.#choices.pop()
      this.#arity.pop()
    }
    return false
  }
}
