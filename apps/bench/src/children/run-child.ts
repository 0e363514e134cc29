import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Runs `src/children/<script>.ts` in a fresh Node process (with `--expose-gc`, through tsx, on
 * the workspace's sources) and parses the one JSON document it prints on stdout; its stderr
 * (progress lines of long fills) goes straight to the bench's. A fresh process measures recovery
 * and memory as after a restart, without the bench's own heap in the way.
 */
export async function runChild<T>(script: string, args: readonly string[]): Promise<T> {
  const path = fileURLToPath(new URL(`./${script}.ts`, import.meta.url))
  const child = spawn(
    process.execPath,
    // A 10 M-entry store's index needs more than Node's default heap limit.
    ['--expose-gc', '--max-old-space-size=16384', '--import', 'tsx', '--conditions=@quire/source', path, ...args],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const chunks: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => chunks.push(c))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  const stdout = Buffer.concat(chunks).toString('utf8')
  if (code !== 0) throw new Error(`child ${script} ${args.join(' ')} exited with ${code}: ${stdout.slice(0, 500)}`)
  return JSON.parse(stdout) as T
}

/** Two full collections, so a heap reading holds what is reachable, not garbage. */
export function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  gc()
  gc()
}
