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
