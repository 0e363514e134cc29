// Sums the vitest summaries ("Tests  3 failed | 95 passed | 2 skipped (100)") in a `pnpm test` log
// and prints one plain closing line: "N passed, N failed[, N skipped]".
import { readFileSync } from 'node:fs'

const log = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
const totals = { passed: 0, failed: 0, skipped: 0 }
let summaries = 0
for (const line of log.split('\n')) {
  const summary = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line)
  if (summary === null) continue
  summaries++
  for (const [, n, kind] of summary[1].matchAll(/(\d+) (passed|failed|skipped)/g)) totals[kind] += Number(n)
}
if (summaries === 0) {
  console.error('no test summaries found in the log')
  process.exit(1)
}
console.log(
  `${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`,
)
process.exit(totals.failed > 0 ? 1 : 0)
