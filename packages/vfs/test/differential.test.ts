import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { NodeFileSystem, type FileSystem, type OpenFlags } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'

// The simulator is the yardstick of every crash test, so it is checked against the real file
// system: random sequences of operations must give the same results and errors on both.

const names = ['a', 'b', 'd/a', 'd/b', 'd', 'e']
const arbName = fc.constantFrom(...names)
const arbFlags = fc.constantFrom<OpenFlags>('r', 'r+', 'w', 'wx', 'a', 'a+')
const arbData = fc.uint8Array({ maxLength: 40 })

type Op =
  | { kind: 'writeFile'; name: string; data: Uint8Array }
  | { kind: 'openWrite'; name: string; flags: OpenFlags; data: Uint8Array; position: number | undefined }
  | { kind: 'openRead'; name: string; flags: OpenFlags; position: number }
  | { kind: 'truncate'; name: string; length: number }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'unlink'; name: string }
  | { kind: 'mkdir'; name: string; recursive: boolean }
  | { kind: 'rmdir'; name: string }
  | { kind: 'readdir'; name: string }
  | { kind: 'stat'; name: string }
  | { kind: 'readFile'; name: string }

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('writeFile' as const), name: arbName, data: arbData }),
  fc.record({
    kind: fc.constant('openWrite' as const),
    name: arbName,
    flags: arbFlags,
    data: arbData,
    position: fc.option(fc.nat(60), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('openRead' as const), name: arbName, flags: arbFlags, position: fc.nat(60) }),
  fc.record({ kind: fc.constant('truncate' as const), name: arbName, length: fc.nat(60) }),
  fc.record({ kind: fc.constant('rename' as const), from: arbName, to: arbName }),
  fc.record({ kind: fc.constant('unlink' as const), name: arbName }),
  fc.record({ kind: fc.constant('mkdir' as const), name: arbName, recursive: fc.boolean() }),
  fc.record({ kind: fc.constant('rmdir' as const), name: arbName }),
  fc.record({ kind: fc.constant('readdir' as const), name: arbName }),
  fc.record({ kind: fc.constant('stat' as const), name: arbName }),
  fc.record({ kind: fc.constant('readFile' as const), name: arbName }),
)

async function apply(fs: FileSystem, root: string, op: Op): Promise<unknown> {
  const p = (name: string): string => join(root, name)
  // Opening a directory as a file is outside the contract (Linux allows 'r' on one; the sim says EISDIR).
  if ((op.kind === 'openWrite' || op.kind === 'openRead') && (await fs.stat(p(op.name)).catch(() => undefined))?.isDirectory) {
    return 'directory'
  }
  try {
    switch (op.kind) {
      case 'writeFile':
        return await fs.writeFile(p(op.name), op.data)
      case 'openWrite': {
        const h = await fs.open(p(op.name), op.flags)
        try {
          await h.write(op.data, op.position)
          return await h.size()
        } finally {
          await h.close()
        }
      }
      case 'openRead': {
        const h = await fs.open(p(op.name), op.flags)
        try {
          const buf = new Uint8Array(20)
          const n = await h.read(buf, op.position)
          return [...buf.subarray(0, n)]
        } finally {
          await h.close()
        }
      }
      case 'truncate': {
        const h = await fs.open(p(op.name), 'r+')
        try {
          await h.truncate(op.length)
          return await h.size()
        } finally {
          await h.close()
        }
      }
      case 'rename':
        return await fs.rename(p(op.from), p(op.to))
      case 'unlink':
        return await fs.unlink(p(op.name))
      case 'mkdir':
        return await fs.mkdir(p(op.name), { recursive: op.recursive })
      case 'rmdir':
        return await fs.rmdir(p(op.name))
      case 'readdir':
        return await fs.readdir(p(op.name))
      case 'stat': {
        const s = await fs.stat(p(op.name))
        return { isFile: s.isFile, isDirectory: s.isDirectory, size: s.isFile ? s.size : undefined }
      }
      case 'readFile':
        return [...(await fs.readFile(p(op.name)))]
    }
  } catch (err) {
    const code = (err as { code?: string }).code
    // Linux says EISDIR or EPERM for some misuses of directories; both mean "refused".
    return { error: code === 'EPERM' ? 'EISDIR' : code }
  }
}

async function snapshot(fs: FileSystem, dir: string): Promise<unknown> {
  const out: Record<string, unknown> = {}
  for (const name of await fs.readdir(dir)) {
    const st = await fs.stat(join(dir, name))
    out[name] = st.isDirectory ? await snapshot(fs, join(dir, name)) : [...(await fs.readFile(join(dir, name)))]
  }
  return out
}

describe('SimFileSystem behaves like NodeFileSystem', () => {
  it('for random operation sequences: same results, same errors, same final tree', async () => {
    const node = new NodeFileSystem()
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
        const root = await mkdtemp(join(tmpdir(), 'quire-diff-'))
        const sim = new SimFileSystem()
        await sim.mkdir('/r')
        try {
          for (const op of ops) {
            const real = await apply(node, root, op)
            const simulated = await apply(sim, '/r', op)
            expect({ op: op.kind, result: simulated }).toEqual({ op: op.kind, result: real })
          }
          expect(await snapshot(sim, '/r')).toEqual(await snapshot(node, root))
        } finally {
          await rm(root, { recursive: true, force: true })
        }
      }),
      { numRuns: Number(process.env.QUIRE_PROPERTY_RUNS ?? 150) },
    )
  })
})
