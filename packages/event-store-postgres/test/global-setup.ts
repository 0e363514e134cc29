import type { TestProject } from 'vitest/node'
import { startTestServer } from './support/pg-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of the database this test run owns. */
    pgUrl: string
    /** Where the server came from (`embedded`, `system`, `external`). */
    pgKind: string
  }
}

/**
 * One PostgreSQL server for every test file of this package (each file works in schemas of its
 * own). Starting it fails the run loudly when no server can be started: these tests are never
 * skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer()
  project.provide('pgUrl', server.url)
  project.provide('pgKind', server.kind)
  return () => server.destroy()
}
