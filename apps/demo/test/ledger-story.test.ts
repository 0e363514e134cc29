import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// `pnpm demo` (the README's first command) with a short setting, so the composed story cannot
// rot: a service process SIGKILLed and restarted, a power-cut round on the simulator, every
// invariant checked after every round. And once with a fault injected, which must be caught.
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function demo(args: readonly string[]): Promise<{ code: number | null; output: string; out: string }> {
  const out = await mkdtemp(join(tmpdir(), 'quire-demo-story-'))
  dirs.push(out)
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', main, '--out', out, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { code, output, out }
}

describe('pnpm demo (the ledger story)', () => {
  it('kills the service, cuts the power, and every invariant holds after every round', async () => {
    const { code, output, out } = await demo(['--rounds', '3', '--minutes', '0.35', '--clients', '8', '--accounts', '20', '--seed', '42'])
    expect(output).toContain('Every invariant held after every round')
    expect(code, output).toBe(0)
    expect(output).toMatch(/round 1\/3: SIGKILL/)
    expect(output).toMatch(/round 3\/3: power cut/)
    const svg = await readFile(join(out, 'throughput.svg'), 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('SIGKILL 1')
    expect(svg).toContain('power cut')
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { ok: boolean; acknowledged: number }
    expect(summary.ok).toBe(true)
    expect(summary.acknowledged).toBeGreaterThan(0)
  }, 180_000)

  it('catches a projection that applies an event twice (--break projection-twice)', async () => {
    const { code, output } = await demo(['--rounds', '1', '--minutes', '0.1', '--clients', '4', '--accounts', '10', '--seed', '7', '--break', 'projection-twice'])
    expect(output).toContain('✗ read model = fold of the log')
    expect(output).toContain('FAILED: round 1: read model = fold of the log (as left)')
    expect(code, output).toBe(1)
  }, 120_000)
})
