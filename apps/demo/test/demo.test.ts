import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// `pnpm demo` is the README's first command: CI runs it too (fewer rounds), so it cannot rot.
describe('pnpm demo', () => {
  it('runs every scenario and every invariant holds', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', main], {
      env: { ...process.env, QUIRE_DEMO_ROUNDS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(output).toContain('All scenarios held.')
    expect(code, output).toBe(0)
  }, 300_000)
})
