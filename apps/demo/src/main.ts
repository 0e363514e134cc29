import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Scenario } from './scenario.js'

// Runs every scenario in src/scenarios (in file-name order), or the ones named on the command line.
const scenariosDir = fileURLToPath(new URL('./scenarios/', import.meta.url))
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const files = (await readdir(scenariosDir)).filter((f) => f.endsWith('.ts')).sort()
const rounds = Number(process.env.QUIRE_DEMO_ROUNDS ?? '5')

let failed = 0
for (const file of files) {
  const { scenario } = (await import(join(scenariosDir, file))) as { scenario: Scenario }
  if (wanted.length > 0 && !wanted.includes(scenario.name)) continue
  process.stdout.write(`\n== ${scenario.title} ==\n`)
  const dir = await mkdtemp(join(tmpdir(), `quire-demo-${scenario.name}-`))
  try {
    await scenario.run({ dir, rounds, log: (line) => process.stdout.write(`   ${line}\n`) })
    process.stdout.write(`   ok\n`)
  } catch (err) {
    failed++
    process.stdout.write(`   FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
process.stdout.write(failed === 0 ? '\nAll scenarios held.\n' : `\n${failed} scenario(s) failed.\n`)
process.exitCode = failed === 0 ? 0 : 1
