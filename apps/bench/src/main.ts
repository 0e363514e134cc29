import { readdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mkdir } from 'node:fs/promises'
import { renderTable, withBenchDir, type BenchSuite } from './harness.js'

// `pnpm bench` runs every suite in src/suites; `pnpm bench wal codec` runs the named ones.
const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url))
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const files = (await readdir(suitesDir)).filter((f) => f.endsWith('.ts')).sort()
const scale = Number(process.env.QUIRE_BENCH_SCALE ?? '1')

const sections: string[] = [
  `# Quire bench — ${new Date().toISOString()}`,
  '',
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ratios are within one run.`,
]
for (const file of files) {
  // Import only the suites asked for: one suite's broken peer must not stop the others.
  if (wanted.length > 0 && !wanted.includes(file.replace(/\.ts$/, ''))) continue
  const mod = (await import(join(suitesDir, file))) as { suite: BenchSuite }
  const suite = mod.suite
  process.stdout.write(`\n## ${suite.name}\n`)
  const rows = await withBenchDir((dir) =>
    suite.run({
      dir,
      scale,
      subdir: async (name) => {
        const sub = join(dir, name)
        await mkdir(sub, { recursive: true })
        return sub
      },
    }),
  )
  const table = renderTable(rows)
  process.stdout.write(`${table}\n`)
  sections.push('', `## ${suite.name}`, '', table)
}
const reportPath = fileURLToPath(new URL('../REPORT.md', import.meta.url))
await writeFile(reportPath, sections.join('\n') + '\n')
process.stdout.write(`\nReport written to ${reportPath}\n`)
