import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { NodeFileSystem, type FileSystem } from '@quire/vfs'
import { conformanceCases } from '@quire/vfs/conformance'
import { SimFileSystem } from '@quire/vfs/sim'

const implementations: { name: string; make: () => Promise<{ fs: FileSystem; root: string; done: () => Promise<void> }> }[] = [
  {
    name: 'NodeFileSystem',
    make: async () => {
      const root = await mkdtemp(join(tmpdir(), 'quire-vfs-'))
      return { fs: new NodeFileSystem(), root, done: () => rm(root, { recursive: true, force: true }) }
    },
  },
  {
    name: 'SimFileSystem',
    make: async () => {
      const fs = new SimFileSystem()
      await fs.mkdir('/root')
      return { fs, root: '/root', done: async () => undefined }
    },
  },
  {
    name: 'SimFileSystem (pessimistic)',
    make: async () => {
      const fs = new SimFileSystem({ pessimistic: true })
      await fs.mkdir('/root')
      return { fs, root: '/root', done: async () => undefined }
    },
  },
]

for (const impl of implementations) {
  describe(`conformance: ${impl.name}`, () => {
    for (const c of conformanceCases) {
      it(c.name, async () => {
        const { fs, root, done } = await impl.make()
        try {
          await c.run(fs, root)
        } finally {
          await done()
        }
      })
    }
  })
}
