import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Scenario } from './scenario.js'

/**
 * `pnpm demo --packages [names…]`: one kill-and-recover scenario per package (src/scenarios, in
 * file-name order), or the ones named. Resolves with the number of scenarios that failed.
 */
export async function runPackageScenarios(wanted: readonly string[], rounds: number): Promise<number> {
  const scenariosDir = fileURLToPath(new URL('./scenarios/', import.meta.url))
  const files = (await readdir(scenariosDir)).filter((f) => f.endsWith('.ts')).sort()
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
  return failed
}
