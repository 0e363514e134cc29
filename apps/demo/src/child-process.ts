import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/**
 * Starts a TypeScript file of this app in a child Node process (through tsx, resolving
 * workspace packages to their source). The child reports progress as lines on stdout.
 */
export function spawnChild(scriptUrl: URL, args: readonly string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@quire/source', fileURLToPath(scriptUrl), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
}

/**
 * Runs a child, calls `onLine` for each stdout line, and SIGKILLs it after `killAfterMs`.
 * Resolves once the child is gone, with whether it was killed (rather than exiting by itself).
 */
export async function runAndKill(
  child: ChildProcess,
  killAfterMs: number,
  onLine: (line: string) => void,
): Promise<{ killed: boolean }> {
  const lines = createInterface({ input: child.stdout! })
  lines.on('line', onLine)
  const drained = new Promise<void>((resolve) => lines.once('close', resolve))
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  clearTimeout(timer)
  // Drain lines the child flushed before it died.
  await drained
  return { killed: code === null }
}
