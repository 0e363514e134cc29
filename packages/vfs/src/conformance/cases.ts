import { deepStrictEqual, equal, ok, rejects } from 'node:assert/strict'
import { join } from 'node:path'
import { ensureDir, readFully, writeFileAtomic } from '../durable.js'
import type { FileSystem } from '../file-system.js'
import { acquireLock } from '../lock.js'

/** One behaviour every `FileSystem` must have; `run` throws (node:assert) when it does not. */
export interface ConformanceCase {
  readonly name: string
  /** `root` is an existing, empty directory of `fs`. */
  run(fs: FileSystem, root: string): Promise<void>
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (data: Uint8Array): string => new TextDecoder().decode(data)
const code = (expected: string) => (err: unknown) => (err as { code?: string }).code === expected

/**
 * The contract of `FileSystem`, run against `NodeFileSystem` and `SimFileSystem` alike (as
 * `abstract-level` ships one suite for all its implementations). A new implementation passes all.
 */
export const conformanceCases: readonly ConformanceCase[] = [
  {
    name: 'write then read at positions',
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'w')
      await h.write(bytes('hello world'), 0)
      await h.write(bytes('W'), 6)
      await h.close()
      const r = await fs.open(join(root, 'f'), 'r')
      const buf = new Uint8Array(64)
      equal(await r.read(buf, 0), 11)
      equal(text(buf.subarray(0, 11)), 'hello World')
      equal(await r.read(buf, 11), 0, 'read past the end reads nothing')
      equal(text(await readFully(r, 6, 3)), 'Wor')
      equal(await r.size(), 11)
      await r.close()
      await r.close() // idempotent
    },
  },
  {
    name: 'writes without a position follow the cursor',
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'w')
      await h.write(bytes('ab'))
      await h.write(bytes('cd'))
      await h.close()
      equal(text(await fs.readFile(join(root, 'f'))), 'abcd')
    },
  },
  {
    name: "'a' appends whatever position is given",
    async run(fs, root) {
      const path = join(root, 'log')
      await fs.writeFile(path, bytes('x'))
      const h = await fs.open(path, 'a')
      await h.write(bytes('y'))
      await h.write(bytes('z'), 0)
      await h.sync()
      await h.close()
      equal(text(await fs.readFile(path)), 'xyz')
    },
  },
  {
    name: "'a+' reads and appends",
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'a+')
      await h.write(bytes('abc'))
      const buf = new Uint8Array(3)
      equal(await h.read(buf, 0), 3)
      equal(text(buf), 'abc')
      await h.close()
    },
  },
  {
    name: "'r' and 'r+' need an existing file; 'wx' needs a missing one; 'w' truncates",
    async run(fs, root) {
      const path = join(root, 'f')
      await rejects(fs.open(path, 'r'), code('ENOENT'))
      await rejects(fs.open(path, 'r+'), code('ENOENT'))
      await (await fs.open(path, 'wx')).close()
      await rejects(fs.open(path, 'wx'), code('EEXIST'))
      await fs.writeFile(path, bytes('abc'))
      await (await fs.open(path, 'w')).close()
      equal((await fs.stat(path)).size, 0)
      const rw = await fs.open(path, 'r+')
      await rw.write(bytes('q'), 0)
      await rw.close()
      equal(text(await fs.readFile(path)), 'q')
    },
  },
  {
    name: 'truncate shrinks and extends with zeros',
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'w')
      await h.write(bytes('abcdef'), 0)
      await h.truncate(2)
      equal(await h.size(), 2)
      await h.truncate(4)
      await h.close()
      deepStrictEqual([...(await fs.readFile(join(root, 'f')))], [97, 98, 0, 0])
    },
  },
  {
    name: 'a write past the end leaves zeros in the gap',
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'w')
      await h.write(bytes('z'), 3)
      await h.close()
      deepStrictEqual([...(await fs.readFile(join(root, 'f')))], [0, 0, 0, 122])
    },
  },
  {
    name: 'rename replaces the target; the source is gone',
    async run(fs, root) {
      await fs.writeFile(join(root, 'a'), bytes('new'))
      await fs.writeFile(join(root, 'b'), bytes('old'))
      await fs.rename(join(root, 'a'), join(root, 'b'))
      equal(await fs.exists(join(root, 'a')), false)
      equal(text(await fs.readFile(join(root, 'b'))), 'new')
      await rejects(fs.rename(join(root, 'missing'), join(root, 'c')), code('ENOENT'))
    },
  },
  {
    name: 'rename moves a file between directories',
    async run(fs, root) {
      await fs.mkdir(join(root, 'd1'))
      await fs.mkdir(join(root, 'd2'))
      await fs.writeFile(join(root, 'd1', 'f'), bytes('x'))
      await fs.rename(join(root, 'd1', 'f'), join(root, 'd2', 'g'))
      deepStrictEqual(await fs.readdir(join(root, 'd1')), [])
      deepStrictEqual(await fs.readdir(join(root, 'd2')), ['g'])
    },
  },
  {
    name: 'unlink removes a file; a missing one is ENOENT',
    async run(fs, root) {
      await fs.writeFile(join(root, 'f'), bytes('x'))
      await fs.unlink(join(root, 'f'))
      equal(await fs.exists(join(root, 'f')), false)
      await rejects(fs.unlink(join(root, 'f')), code('ENOENT'))
      await rejects(fs.readFile(join(root, 'f')), code('ENOENT'))
      await rejects(fs.stat(join(root, 'f')), code('ENOENT'))
    },
  },
  {
    name: 'an open handle outlives unlink',
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'w')
      await fs.unlink(join(root, 'f'))
      await h.write(bytes('still'), 0)
      equal(await h.size(), 5)
      await h.close()
    },
  },
  {
    name: 'mkdir, recursive mkdir, rmdir, readdir sorted',
    async run(fs, root) {
      await rejects(fs.mkdir(join(root, 'a', 'b')), code('ENOENT'))
      await fs.mkdir(join(root, 'a', 'b'), { recursive: true })
      await fs.mkdir(join(root, 'a', 'b'), { recursive: true })
      await rejects(fs.mkdir(join(root, 'a')), code('EEXIST'))
      for (const name of ['zeta', 'Alpha', 'beta']) await fs.writeFile(join(root, 'a', name), bytes(''))
      deepStrictEqual(await fs.readdir(join(root, 'a')), ['Alpha', 'b', 'beta', 'zeta'])
      await rejects(fs.rmdir(join(root, 'a')), code('ENOTEMPTY'))
      await fs.rmdir(join(root, 'a', 'b'))
      ok(!(await fs.exists(join(root, 'a', 'b'))))
      const st = await fs.stat(join(root, 'a'))
      ok(st.isDirectory && !st.isFile)
      await rejects(fs.readdir(join(root, 'a', 'zeta')), code('ENOTDIR'))
    },
  },
  {
    name: 'sync and syncDir succeed on live files and directories',
    async run(fs, root) {
      const h = await fs.open(join(root, 'f'), 'w')
      await h.write(bytes('x'), 0)
      await h.sync()
      await h.close()
      await fs.syncDir(root)
    },
  },
  {
    name: 'writeFileAtomic replaces content and leaves no temp file',
    async run(fs, root) {
      const path = join(root, 'state')
      await writeFileAtomic(fs, path, bytes('one'))
      await writeFileAtomic(fs, path, bytes('two'))
      equal(text(await fs.readFile(path)), 'two')
      deepStrictEqual(await fs.readdir(root), ['state'])
    },
  },
  {
    name: 'ensureDir creates missing parents and accepts existing ones',
    async run(fs, root) {
      await ensureDir(fs, join(root, 'x', 'y', 'z'))
      await ensureDir(fs, join(root, 'x', 'y', 'z'))
      ok((await fs.stat(join(root, 'x', 'y', 'z'))).isDirectory)
    },
  },
  {
    name: 'acquireLock: a second opener gets LOCKED until release',
    async run(fs, root) {
      const lock = await acquireLock(fs, root)
      await rejects(acquireLock(fs, root), code('LOCKED'))
      await lock.release()
      await lock.release()
      const again = await acquireLock(fs, root)
      await again.release()
    },
  },
  {
    name: 'identity: every name of one directory or file has its identity; other objects have others',
    async run(fs, root) {
      await fs.mkdir(join(root, 'd'))
      await fs.mkdir(join(root, 'e'))
      await fs.writeFile(join(root, 'd', 'f'), bytes('x'))
      await fs.writeFile(join(root, 'd', 'g'), bytes('x'))
      await fs.symlink(join(root, 'd'), join(root, 'abs'))
      await fs.symlink('d', join(root, 'rel'))
      const d = (await fs.stat(join(root, 'd'))).identity
      for (const alias of [`${root}/d/`, `${root}/e/../d`, `${root}//d/.`, join(root, 'abs'), join(root, 'rel'), `${root}/abs/`]) {
        equal((await fs.stat(alias)).identity, d, alias)
      }
      const f = await fs.stat(join(root, 'd', 'f'))
      equal((await fs.stat(join(root, 'rel', 'f'))).identity, f.identity)
      ok(f.identity !== d && f.identity !== (await fs.stat(join(root, 'd', 'g'))).identity)
      ok((await fs.stat(join(root, 'e'))).identity !== d)
      // A copy is another file, even with the same bytes and name.
      await fs.writeFile(join(root, 'e', 'f'), bytes('x'))
      ok((await fs.stat(join(root, 'e', 'f'))).identity !== f.identity)
    },
  },
  {
    name: 'hard links: one file, two names; links counts them',
    async run(fs, root) {
      await fs.mkdir(join(root, 'a'))
      await fs.mkdir(join(root, 'b'))
      await fs.writeFile(join(root, 'a', 'f'), bytes('one'))
      equal((await fs.stat(join(root, 'a', 'f'))).links, 1)
      await fs.link(join(root, 'a', 'f'), join(root, 'b', 'f'))
      const a = await fs.stat(join(root, 'a', 'f'))
      const b = await fs.stat(join(root, 'b', 'f'))
      equal(a.identity, b.identity)
      equal(a.links, 2)
      const h = await fs.open(join(root, 'b', 'f'), 'a')
      await h.write(bytes('+two'))
      await h.close()
      equal(text(await fs.readFile(join(root, 'a', 'f'))), 'one+two')
      await rejects(fs.link(join(root, 'a', 'f'), join(root, 'b', 'f')), code('EEXIST'))
      await fs.unlink(join(root, 'a', 'f'))
      equal((await fs.stat(join(root, 'b', 'f'))).links, 1)
      equal(text(await fs.readFile(join(root, 'b', 'f'))), 'one+two')
    },
  },
  {
    name: 'symlinks: followed by open, readFile, readdir, stat and mkdir; unlink removes the link; `..` is physical',
    async run(fs, root) {
      await fs.mkdir(join(root, 'real', 'sub'), { recursive: true })
      await fs.symlink(join(root, 'real', 'sub'), join(root, 'link'))
      const h = await fs.open(join(root, 'link', 'f'), 'w')
      await h.write(bytes('via link'), 0)
      await h.close()
      equal(text(await fs.readFile(join(root, 'real', 'sub', 'f'))), 'via link')
      deepStrictEqual(await fs.readdir(join(root, 'link')), ['f'])
      ok((await fs.stat(join(root, 'link'))).isDirectory)
      // `..` after a symlink is taken in the directory reached, not in the spelling.
      await fs.writeFile(join(root, 'real', 'marker'), bytes('m'))
      equal(text(await fs.readFile(`${root}/link/../marker`)), 'm')
      await fs.mkdir(join(root, 'link', 'deeper'), { recursive: true })
      ok(await fs.exists(join(root, 'real', 'sub', 'deeper')))
      await rejects(fs.symlink('anything', join(root, 'link')), code('EEXIST'))
      await rejects(fs.open(join(root, 'link'), 'wx'), code('EEXIST'))
      // A dangling link: opening it for writing creates its target.
      await fs.symlink(join(root, 'real', 'later'), join(root, 'dangling'))
      equal(await fs.exists(join(root, 'dangling')), false)
      await rejects(fs.readFile(join(root, 'dangling')), code('ENOENT'))
      await fs.writeFile(join(root, 'dangling'), bytes('now'))
      equal(text(await fs.readFile(join(root, 'real', 'later'))), 'now')
      await fs.unlink(join(root, 'link'))
      equal(await fs.exists(join(root, 'link')), false)
      ok(await fs.exists(join(root, 'real', 'sub', 'f')))
    },
  },
  {
    name: "open with { dsync: true }: the flags keep Node's meaning, and the handle says it syncs each write",
    async run(fs, root) {
      const path = join(root, 'f')
      const h = await fs.open(path, 'wx', { dsync: true })
      equal(typeof h.dsync, 'boolean', 'a handle opened with dsync says whether it got it')
      await h.write(bytes('hello'), 0)
      await h.write(bytes('J'), 0)
      await h.close()
      await rejects(fs.open(path, 'wx', { dsync: true }), code('EEXIST'))
      const r = await fs.open(path, 'r+', { dsync: true })
      await r.write(bytes('!'), 5)
      equal(await r.size(), 6)
      await r.sync() // allowed, and nothing to do
      await r.close()
      equal(text(await fs.readFile(path)), 'Jello!')
      const a = await fs.open(path, 'a', { dsync: true })
      await a.write(bytes('?'), 0)
      await a.close()
      equal(text(await fs.readFile(path)), 'Jello!?')
      const w = await fs.open(path, 'w', { dsync: true })
      await w.close()
      equal((await fs.stat(path)).size, 0, "'w' still truncates")
      const ro = await fs.open(path, 'r', { dsync: true })
      ok(ro.dsync !== true, 'a read-only handle writes nothing, so it never claims dsync')
      await ro.close()
      const plain = await fs.open(path, 'r+')
      ok(plain.dsync !== true, 'without the option a handle is ordinary')
      await plain.close()
    },
  },
  {
    name: 'acquireLock: another name of a locked directory (symlink, `..`, trailing slash) gets LOCKED',
    async run(fs, root) {
      await fs.mkdir(join(root, 'store'))
      await fs.mkdir(join(root, 'x'))
      await fs.symlink(join(root, 'store'), join(root, 'alias'))
      const lock = await acquireLock(fs, join(root, 'store'))
      for (const name of [join(root, 'alias'), `${root}/x/../store`, `${root}/store/`]) {
        await rejects(acquireLock(fs, name), code('LOCKED'), name)
      }
      await lock.release()
      const again = await acquireLock(fs, join(root, 'alias'))
      await rejects(acquireLock(fs, join(root, 'store')), code('LOCKED'))
      await again.release()
    },
  },
  {
    name: 'acquireLock takes over the lock of a dead process',
    async run(fs, root) {
      // pid 2^22+1 exceeds Linux's pid_max default range: no live process has it
      await fs.writeFile(join(root, 'LOCK'), bytes(JSON.stringify({ pid: 4194305, host: (await import('node:os')).hostname(), token: 'dead' })))
      const lock = await acquireLock(fs, root)
      await lock.release()
      equal(await fs.exists(join(root, 'LOCK')), false)
    },
  },
]
