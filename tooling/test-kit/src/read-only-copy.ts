import { spawn } from 'node:child_process'
import { chmod, cp, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/** The user that runs {@link runUnprivileged}'s script when the tests run as root. */
const NOBODY = { uid: 65534, gid: 65534 }

/**
 * A copy of the store at `source` that the OS refuses to change, like a backup mounted
 * read-only or a store owned by another user: every directory mode 0555, every file 0444 (what
 * `chmod -R a-w` leaves). `path` is the copy; `dispose()` gives write access back and removes it.
 * Root ignores these modes: run the code under test through {@link runUnprivileged}.
 */
export async function readOnlyCopy(source: string): Promise<{ readonly path: string; dispose(): Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), 'quire-read-only-'))
  await chmod(parent, 0o755) // another user (nobody) must reach the copy
  const path = join(parent, 'copy')
  await cp(source, path, { recursive: true })
  await setModes(path, 0o555, 0o444)
  return {
    path,
    async dispose() {
      await setModes(path, 0o755, 0o644)
      await rm(parent, { recursive: true, force: true })
    },
  }
}

async function setModes(path: string, dirMode: number, fileMode: number): Promise<void> {
  const st = await stat(path)
  if (!st.isDirectory()) return chmod(path, fileMode)
  // Children first while the directory is still writable and listable, then the directory.
  await chmod(path, 0o755)
  for (const name of await readdir(path)) await setModes(join(path, name), dirMode, fileMode)
  await chmod(path, dirMode)
}

/** What a script run by {@link runUnprivileged} did. */
export interface UnprivilegedRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the TypeScript file `script` with `args` in a child Node.js process (through tsx, with the
 * workspace's `@quire/source` condition) as a user the file modes apply to: when the tests run
 * as root (who may write anything), as `nobody`; otherwise as the current user. `cwd` must be
 * readable by that user (a package directory is).
 */
export function runUnprivileged(script: string, args: readonly string[], cwd: string): Promise<UnprivilegedRun> {
  const ids = userInfo().uid === 0 ? NOBODY : {}
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', script, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: tmpdir() },
      ...ids,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}
