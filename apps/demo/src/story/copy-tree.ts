import { posix } from 'node:path'
import type { FileSystem } from '@quire/vfs'

/**
 * Copies the directory tree `fromDir` of one file system into `toDir` of another (the real disk
 * into a simulated one and back). Not durable by itself: the simulated disk is made durable
 * with `clone()`, the real one is only read by the next open after a clean copy.
 */
export async function copyTree(from: FileSystem, fromDir: string, to: FileSystem, toDir: string): Promise<{ files: number; bytes: number }> {
  let files = 0
  let bytes = 0
  await to.mkdir(toDir, { recursive: true })
  for (const name of await from.readdir(fromDir)) {
    const source = posix.join(fromDir, name)
    const target = posix.join(toDir, name)
    const stat = await from.stat(source)
    if (stat.isDirectory) {
      const sub = await copyTree(from, source, to, target)
      files += sub.files
      bytes += sub.bytes
    } else if (stat.isFile) {
      const data = await from.readFile(source)
      await to.writeFile(target, data)
      files++
      bytes += data.byteLength
    }
  }
  return { files, bytes }
}
