import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGE_DIR } from './support/run-cli.js'

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url))

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-bench-signal-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('an interrupted bench', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s while measuring: the .quire-bench-* directory is removed and the process ends by the signal', async (signal) => {
    const dir = join(root, signal)
    await mkdir(dir)
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', BIN, 'bench', 'wal', '--seconds', '60', '--dir', dir], { cwd: PACKAGE_DIR, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })))
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s
        if (stderr.includes('measuring in')) resolve()
      })
      void exited.then(() => reject(new Error(`bench ended before measuring: ${stderr}`)))
    })
    expect((await readdir(dir)).filter((n) => n.startsWith('.quire-bench-'))).toHaveLength(1)
    child.kill(signal)
    const end = await exited
    expect(end.signal).toBe(signal)
    expect(await readdir(dir)).toEqual([])
  })
})
