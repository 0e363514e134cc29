import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// `pnpm demo --packages`: the per-package kill-and-recover scenarios, so they cannot rot (fewer rounds).
describe('pnpm demo --packages', () => {
  it('runs every per-package scenario and every invariant holds', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', main, '--packages'], {
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
