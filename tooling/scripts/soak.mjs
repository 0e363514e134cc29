// `pnpm soak`: the long run of issue 13. Runs every crash property at QUIRE_PROPERTY_RUNS (default
// 2 000), every kill test with QUIRE_KILL_ROUNDS rounds (default 20), the reference demo for
// --minutes, and the memory soak for --memory-minutes, then prints one table: properties, runs,
// crash images checked, kills, acknowledged writes checked, and the failures with their replay
// seeds. Exit code 1 when anything failed.
//
//   pnpm soak                                   # 2 000 runs, 20 kill rounds, 5 demo minutes, 5 memory minutes
//   pnpm soak --runs 200 --kill-rounds 5 --minutes 1 --memory-minutes 1
//   pnpm soak --only wal,mvcc --no-demo --no-memory
//
// Counting: the setup file tooling/test-kit/src/soak-setup.ts counts properties and runs (those
// run through checkProperty), crash images (every SimFileSystem.crash and crashImages), kills
// (every SIGKILL a test sends) and the acknowledged writes tests report (tallyAckedChecked); the
// demo's summary.json gives its kills and acknowledged commands.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const config = fileURLToPath(new URL('./soak.vitest.config.mjs', import.meta.url))
const PACKAGES = ['codec', 'vfs', 'wal', 'ndjson-log', 'snapshots', 'fs-record-keeper', 'mvcc', 'event-store']

function parseArgs(argv) {
  const o = {
    runs: Number(process.env.QUIRE_PROPERTY_RUNS ?? 2000),
    killRounds: Number(process.env.QUIRE_KILL_ROUNDS ?? 20),
    minutes: 5,
    memoryMinutes: undefined,
    demo: true,
    memory: true,
    only: PACKAGES,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    const positive = (v) => {
      const n = Number(v)
      if (!(n > 0)) throw new Error(`${a} must be a positive number, got ${v}`)
      return n
    }
    if (a === '--runs') o.runs = positive(next())
    else if (a === '--kill-rounds') o.killRounds = positive(next())
    else if (a === '--minutes') o.minutes = positive(next())
    else if (a === '--memory-minutes') o.memoryMinutes = positive(next())
    else if (a === '--no-demo') o.demo = false
    else if (a === '--no-memory') o.memory = false
    else if (a === '--only') o.only = next().split(',')
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'pnpm soak [--runs N] [--kill-rounds N] [--minutes M] [--memory-minutes M] [--only pkg,...] [--no-demo] [--no-memory]\n',
      )
      process.exit(0)
    } else throw new Error(`unknown argument ${a} (see --help)`)
  }
  for (const p of o.only) if (!PACKAGES.includes(p)) throw new Error(`--only: unknown package ${p} (${PACKAGES.join(', ')})`)
  o.memoryMinutes ??= o.minutes
  return o
}

/** Runs a command, streaming a line per finished test file; resolves with its exit code and output. */
function run(cmd, args, { cwd, env }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const take = (chunk) => {
      const text = chunk.toString()
      out += text
      for (const line of text.split('\n')) {
        const plain = line.replace(/\x1b\[[0-9;]*m/g, '')
        if (/^\s*[✓×❯]\s+test\//.test(plain) || /Property failed|replay:/.test(plain)) process.stdout.write(`    ${plain.trim()}\n`)
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('close', (code) => resolve({ code: code ?? 1, out }))
  })
}

async function testFiles(pkg, pick) {
  const dir = join(root, 'packages', pkg, 'test')
  return (await readdir(dir)).filter(pick).sort().map((f) => `test/${f}`)
}

const sum = (rows, key) => rows.reduce((n, r) => n + (r[key] ?? 0), 0)
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en') : n)

function table(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map(fmt).map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.slice(1).map(line)].join('\n')
}

async function main() {
  const o = parseArgs(process.argv.slice(2))
  const tallyRoot = await mkdtemp(join(tmpdir(), 'quire-soak-tally-'))
  const started = Date.now()
  process.stdout.write(
    `pnpm soak: crash properties at ${o.runs} runs, kill tests with ${o.killRounds} rounds, ` +
      `${o.demo ? `the demo for ${o.minutes} min` : 'no demo'}, ${o.memory ? `the memory soak for ${o.memoryMinutes} min` : 'no memory soak'}; packages ${o.only.join(', ')}\n`,
  )
  const rows = []
  const failures = []
  for (const pkg of o.only) {
    for (const [kind, pick] of [
      ['crash properties', (f) => /crash\.test\.ts$/.test(f)],
      ['kill tests', (f) => /^kill\.test\.ts$/.test(f)],
    ]) {
      const files = await testFiles(pkg, pick)
      if (files.length === 0) continue
      const tallyDir = join(tallyRoot, `${pkg}-${kind.replace(' ', '-')}`)
      process.stdout.write(`\n${pkg}: ${kind} (${files.length} file${files.length === 1 ? '' : 's'})\n`)
      const t0 = Date.now()
      const { code, out } = await run('npx', ['vitest', 'run', '--config', config, '--root', join(root, 'packages', pkg), ...files], {
        cwd: join(root, 'packages', pkg),
        env: { QUIRE_PROPERTY_RUNS: String(o.runs), QUIRE_KILL_ROUNDS: String(o.killRounds), QUIRE_SOAK_TALLY_DIR: tallyDir },
      })
      const tallies = []
      for (const f of await readdir(tallyDir).catch(() => [])) tallies.push(JSON.parse(await readFile(join(tallyDir, f), 'utf8')))
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '')
      const failedTests = [...plain.matchAll(/^\s*FAIL\s+(.*)$/gm)].map((m) => m[1].trim())
      for (const t of tallies) for (const f of t.failures) failures.push(`${pkg} ${relative(join(root, 'packages', pkg), t.file)}: ${f.message} (${f.replay})`)
      if (code !== 0 && failedTests.length === 0) failedTests.push(`vitest exited with ${code}`)
      for (const t of failedTests) if (!failures.some((f) => f.includes(t))) failures.push(`${pkg}: ${t}`)
      rows.push({
        what: `${pkg} ${kind}`,
        files: files.length,
        properties: sum(tallies, 'properties'),
        runs: sum(tallies, 'runs'),
        crashImages: sum(tallies, 'crashImages'),
        kills: sum(tallies, 'kills'),
        acked: sum(tallies, 'ackedChecked'),
        failed: failedTests.length,
        seconds: Math.round((Date.now() - t0) / 1000),
      })
    }
  }
  if (o.demo) {
    const out = await mkdtemp(join(tmpdir(), 'quire-soak-demo-'))
    process.stdout.write(`\ndemo: pnpm demo --minutes ${o.minutes} --out ${out}\n`)
    const t0 = Date.now()
    const { code, out: text } = await run('pnpm', ['--silent', 'demo', '--minutes', String(o.minutes), '--out', out], { cwd: root, env: {} })
    let summary
    try {
      summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))
    } catch {
      summary = undefined
    }
    const seed = /--seed (\d+)/.exec(text)?.[1]
    const rounds = summary?.rounds ?? []
    const ok = code === 0 && summary?.ok === true
    if (!ok) failures.push(`demo: ${summary === undefined ? `no summary (exit ${code})` : 'an invariant failed'} (replay: pnpm demo --seed ${seed ?? '?'} --minutes ${o.minutes})`)
    rows.push({
      what: `demo (${rounds.length} rounds${rounds.some((r) => r.endedBy === 'power cut') ? ', 1 power cut' : ''})`,
      files: 0,
      properties: 0,
      runs: 0,
      crashImages: rounds.filter((r) => r.endedBy === 'power cut').length,
      kills: rounds.filter((r) => r.endedBy === 'SIGKILL').length,
      acked: summary?.acknowledged ?? 0,
      failed: ok ? 0 : 1,
      seconds: Math.round((Date.now() - t0) / 1000),
    })
    await rm(out, { recursive: true, force: true })
  }
  if (o.memory) {
    process.stdout.write(`\nmemory soak: ${o.memoryMinutes} min\n`)
    const t0 = Date.now()
    const { code, out } = await run(
      'pnpm',
      ['--silent', '--filter', '@quire/bench', 'exec', 'tsx', '--conditions=@quire/source', 'src/soak-memory.ts', '--minutes', String(o.memoryMinutes), '--report-minutes', String(Math.max(1, Math.round(o.memoryMinutes / 6)))],
      { cwd: root, env: {} },
    )
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '')
    for (const line of plain.split('\n')) if (/^(start|end|\d+ min)\s|Peak RSS|^\s{2}\S.*\/.*\//.test(line)) process.stdout.write(`    ${line}\n`)
    if (code !== 0) failures.push(`memory soak: ${/NOT FLAT/.test(plain) ? 'resident memory not flat' : `failed (exit ${code})`}`)
    rows.push({ what: 'memory soak', files: 0, properties: 0, runs: 0, crashImages: 0, kills: 0, acked: 0, failed: code === 0 ? 0 : 1, seconds: Math.round((Date.now() - t0) / 1000) })
  }
  await rm(tallyRoot, { recursive: true, force: true })

  const total = { what: 'total', files: sum(rows, 'files'), properties: sum(rows, 'properties'), runs: sum(rows, 'runs'), crashImages: sum(rows, 'crashImages'), kills: sum(rows, 'kills'), acked: sum(rows, 'acked'), failed: sum(rows, 'failed'), seconds: Math.round((Date.now() - started) / 1000) }
  const headers = ['what', 'files', 'properties', 'runs', 'crash images checked', 'kills', 'acked writes checked', 'failed', 'seconds']
  process.stdout.write(`\n${table(headers, [...rows, total].map((r) => [r.what, r.files, r.properties, r.runs, r.crashImages, r.kills, r.acked, r.failed, r.seconds]))}\n`)
  process.stdout.write(
    failures.length === 0 ? '\nNo failures.\n' : `\nFailures (${failures.length}), with their replay:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`,
  )
  process.exitCode = failures.length === 0 ? 0 : 1
}

await main()
