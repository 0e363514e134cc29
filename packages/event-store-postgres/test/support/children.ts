import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** A child process of test/fixtures, its stdout as parsed JSON lines. */
export interface Child {
  /** Every JSON line printed so far. */
  readonly lines: unknown[]
  /** Resolves with the lines once the process exited with code 0; rejects otherwise. */
  readonly done: Promise<unknown[]>
  /** Resolves on the first line satisfying `test`. */
  waitFor(test: (line: unknown) => boolean): Promise<unknown>
}

const packageDir = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `test/fixtures/<name>.ts` under tsx with the workspace's source condition. */
export function runChild(name: string, args: readonly string[]): Child {
  const script = fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url))
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', script, ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: unknown[] = []
  const waiters = new Set<{ test: (line: unknown) => boolean; resolve: (line: unknown) => void }>()
  let stderr = ''
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8000)
  })
  createInterface({ input: proc.stdout }).on('line', (text) => {
    const line: unknown = JSON.parse(text)
    lines.push(line)
    for (const w of [...waiters]) {
      if (w.test(line)) {
        waiters.delete(w)
        w.resolve(line)
      }
    }
  })
  const done = new Promise<unknown[]>((resolve, reject) => {
    proc.on('exit', (code, signal) => {
      if (code === 0) resolve(lines)
      else reject(new Error(`${name} exited with ${String(code ?? signal)}:\n${stderr}`))
    })
  })
  // Waiters fail with the process.
  done.catch(() => undefined)
  return {
    lines,
    done,
    waitFor(test) {
      const found = lines.find(test)
      if (found !== undefined) return Promise.resolve(found)
      return Promise.race([
        new Promise<unknown>((resolve) => waiters.add({ test, resolve })),
        done.then(() => {
          throw new Error(`${name} exited before printing the awaited line`)
        }),
      ])
    },
  }
}
