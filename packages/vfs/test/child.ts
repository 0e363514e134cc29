import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** Starts a fixture script in a child Node process, with workspace packages resolved to source. */
export function startFixture(name: string, args: string[]): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() }
}

export async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise((resolve) => child.once('exit', resolve))
}
