import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmdirSync } from 'node:fs'
import { open, rm, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A real, small file system mounted for a test (a size-limited tmpfs), to fill it for real. */
export interface SmallDisk {
  /** The mount point: an empty directory on the small file system. */
  readonly dir: string
  /** Bytes free on it now. */
  free(): Promise<number>
  /**
   * Fills the disk with a ballast file until only `leaveBytes` are free (roughly: block-sized), so
   * that a store fills the rest quickly.
   */
  fill(leaveBytes: number): Promise<void>
  /** Deletes the ballast: the space comes back. */
  release(): Promise<void>
  /** Unmounts (lazily, so an open handle cannot keep it) and removes the mount point. */
  unmount(): void
}

/**
 * Mounts a `sizeBytes` tmpfs on a fresh directory (needs root, as CI runs). When the machine
 * refuses, returns why instead: a test must then say so and fail in CI (see
 * {@link refusedSmallDisk}), never pass as if it had run.
 */
export function mountSmallDisk(sizeBytes: number): SmallDisk | { readonly refused: string } {
  const dir = mkdtempSync(join(tmpdir(), 'quire-small-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmdirSync(dir)
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim()
    return { refused: `mount -t tmpfs -o size=${sizeBytes} on ${dir} was refused: ${stderr !== undefined && stderr !== '' ? stderr : String(err)}` }
  }
  const ballast = join(dir, 'ballast')
  const free = async (): Promise<number> => {
    const s = await statfs(dir)
    return s.bavail * s.bsize
  }
  return {
    dir,
    free,
    fill: async (leaveBytes) => {
      const handle = await open(ballast, 'a')
      try {
        const chunk = new Uint8Array(64 * 1024).fill(0x5a)
        for (let room = (await free()) - leaveBytes; room > 0; room -= chunk.byteLength) {
          await handle.write(chunk.subarray(0, Math.min(chunk.byteLength, room)))
        }
        await handle.sync()
      } finally {
        await handle.close()
      }
    },
    release: () => rm(ballast, { force: true }),
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      rmdirSync(dir)
    },
  }
}

/**
 * What a disk-full test does when the mount was refused: in CI (`CI=true`, where tests run as
 * root and the mount must work) it fails with the reason; elsewhere it says so plainly on stderr
 * and the caller skips, visibly, with that reason.
 */
export function refusedSmallDisk(refused: string): string {
  const message = `REAL DISK-FULL TEST NOT RUN: ${refused} (it needs root to mount a tmpfs)`
  if (process.env.CI === 'true') throw new Error(`${message}; CI must run it`)
  process.stderr.write(`\n${message}\n`)
  return message
}

/** Everything an error says about itself: code, errno, message, and the same of its causes. */
export function errorStory(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const o = e as { code?: unknown; errno?: unknown; message?: unknown; cause?: unknown }
    parts.push([o.code, o.errno, o.message].filter((x) => x !== undefined).map(String).join(' '))
    e = o.cause
  }
  return parts.join(' <- ')
}
