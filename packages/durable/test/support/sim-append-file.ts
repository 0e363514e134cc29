import { SimFileSystem } from '@quire/vfs/sim'
import { DurableAppendFile, Poison, type AppendFileOptions } from '../../src/index.js'

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** A durable `/d/log` holding `HDR` on a fresh simulated disk, opened for appending at its end. */
export async function simAppendFile(options: Omit<AppendFileOptions, 'end' | 'poison'> = {}): Promise<{ fs: SimFileSystem; file: DurableAppendFile; poison: Poison }> {
  const fs = new SimFileSystem()
  await fs.mkdir('/d')
  await fs.syncDir('/')
  await fs.writeFile('/d/log', bytes('HDR'))
  await fs.syncDir('/d')
  const h = await fs.open('/d/log', 'r+')
  await h.sync()
  await h.close()
  const poison = new Poison()
  const file = await DurableAppendFile.open(fs, '/d/log', { end: 3, poison, ...options })
  return { fs, file, poison }
}
