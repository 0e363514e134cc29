import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

/**
 * Returns a maker of fresh real-disk temp directories (`<tmpdir>/<prefix>XXXXXX`), each removed
 * after the test that made it. Registers a vitest `afterEach`: call it at the top level of a test
 * file (or of a `describe`).
 */
export function useTempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })
  return async () => {
    const d = await mkdtemp(join(tmpdir(), prefix))
    dirs.push(d)
    return d
  }
}

/**
 * Names and sizes of everything under `dir` (`'rk/head:40'`), sorted: compared before and after,
 * it shows that a refused or read-only open left the store as it found it.
 */
export async function dirListing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}
