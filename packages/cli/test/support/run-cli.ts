import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdir, readFile, lstat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package directory, the CLI's entry, and how node runs it from source (as the kill tests run their children). */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url))
const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url))

/** What one run of `quire` printed and how it exited. */
export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `quire <args>` as a real child process (node with tsx on the source, the way a user runs
 * the built bin), with `NO_COLOR` set unless `env` says otherwise; `input` is piped to its stdin.
 */
export function quire(args: readonly string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env }
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', BIN, ...args], {
      cwd: PACKAGE_DIR,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** `quire … --json`'s document. */
export function jsonOf<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${String(run.code)}):\n${run.stdout}\n--- stderr:\n${run.stderr}`)
  }
}

/** NDJSON lines of a dump. */
export function linesOf(run: CliRun): Record<string, unknown>[] {
  return run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/**
 * A hash of everything under `root`: every name (files, directories, symlinks), each file's bytes
 * and mode. Equal before and after a command = the command changed nothing, not even by creating
 * an empty lock directory.
 */
export async function hashTree(root: string): Promise<string> {
  const hash = createHash('sha256')
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path)
    hash.update(`${relative(root, path)}\0${s.mode}\0`)
    if (s.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(join(path, name))
    } else if (s.isFile()) {
      hash.update(await readFile(path))
    }
    hash.update('\0')
  }
  await walk(root)
  return hash.digest('hex')
}

/** `verify --json`'s document, as the tests read it. */
export interface VerifyDoc {
  ok: boolean
  kind: string
  checked: Record<string, number>
  damage: { file: string; offset?: number; line?: number; problem: string; code?: string }[]
  warnings: string[]
  locks: { holder: string; pid: number; file: string }[]
}
