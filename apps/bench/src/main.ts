import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderSvg } from './chart-render.js'
import { suiteChartSpec } from './chart-spec.js'
import { renderCurve, type BenchCurve } from './curves.js'
import { renderGoals, type BenchGoal } from './goals.js'
import { renderTable, withBenchDir, type BenchRow, type BenchSuite } from './harness.js'
import { isFullRun, parseOptions, USAGE } from './options.js'

// `pnpm bench` runs every suite in src/suites, tables and curves, and writes REPORT.md with one
// SVG chart per suite in charts/; `pnpm bench wal --quick --curve concurrency` runs a part.
const options = parseOptions(process.argv.slice(2), process.env)
if (options.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
const benchRoot = fileURLToPath(new URL('..', import.meta.url))
const outDir = resolve(options.out ?? (isFullRun(options) ? benchRoot : join(benchRoot, 'out')))
const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url))
const files = (await readdir(suitesDir)).filter((f) => f.endsWith('.ts')).sort()
const unknown = options.suites.filter((s) => !files.includes(`${s}.ts`))
if (unknown.length > 0) throw new RangeError(`no suite named ${unknown.join(', ')} (have: ${files.map((f) => f.replace(/\.ts$/, '')).join(', ')})`)
const wants = (part: string): boolean => options.parts.length === 0 || options.parts.includes(part)
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

const started = new Date()
const sections: string[] = [
  `# Quire bench — ${started.toISOString()}`,
  '',
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ` +
    `load average at start ${load()}; ratios are within one run.`,
  `Command: \`pnpm bench ${process.argv.slice(2).join(' ')}\`${options.quick ? ' (quick: figures show the code runs, they judge nothing)' : ''}.`,
]
await mkdir(join(outDir, 'charts'), { recursive: true })
for (const file of files) {
  const name = file.replace(/\.ts$/, '')
  // Import only the suites asked for: one suite's broken peer must not stop the others.
  if (options.suites.length > 0 && !options.suites.includes(name)) continue
  const mod = (await import(join(suitesDir, file))) as { suite: BenchSuite }
  const suite = mod.suite
  const curveIds = Object.keys(suite.curves ?? {}).filter(wants)
  if (!wants('table') && curveIds.length === 0) continue
  process.stdout.write(`\n=== ${suite.name} ===\n`)
  let rows: BenchRow[] = []
  const curves: BenchCurve[] = []
  const goals: BenchGoal[] = []
  await withBenchDir(async (dir) => {
    const ctx = {
      dir,
      scale: options.scale,
      quick: options.quick,
      maxEntries: options.maxEntries,
      pointSeconds: options.pointSeconds,
      // A quick run's figures judge nothing: its goals are printed, marked not judged.
      goal: (g: BenchGoal) => void goals.push(options.quick ? { ...g, judged: false, note: g.note === undefined ? '--quick run' : `${g.note}; --quick run` } : g),
      subdir: async (sub: string) => {
        const path = join(dir, sub)
        await mkdir(path, { recursive: true })
        return path
      },
    }
    if (wants('table')) rows = await suite.run(ctx)
    for (const id of curveIds) {
      process.stdout.write(`### ${suite.name}: ${id} (load ${load()})\n`)
      curves.push(...(await suite.curves![id]!({ ...ctx, subdir: (sub: string) => ctx.subdir(`${id}-${sub}`) })))
    }
  })
  const section = ['', `## ${suite.name}`, '']
  if (rows.length > 0) section.push(renderTable(rows), '')
  if (goals.length > 0) section.push('Goals (issue 17 and before), judged on this run:', '', renderGoals(goals), '')
  for (const c of curves) section.push(`### ${c.title}`, '', renderCurve(c), '', ...(c.note === undefined ? [] : [c.note, '']))
  if (options.charts && (rows.length > 0 || curves.length > 0)) {
    const chart = join(outDir, 'charts', `${suite.name}.svg`)
    await writeFile(chart, await renderSvg(suiteChartSpec(suite.name, rows, curves)))
    section.push(`Chart: [charts/${suite.name}.svg](${relative(outDir, chart)})`, '')
  }
  section.push(`Load average after the suite: ${load()}.`)
  process.stdout.write(`${section.join('\n')}\n`)
  sections.push(...section)
}
sections.push('', `Run time ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min.`)
const reportPath = join(outDir, 'REPORT.md')
await writeFile(reportPath, sections.join('\n') + '\n')
process.stdout.write(`\nReport written to ${reportPath}\n`)
