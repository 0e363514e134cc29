import { defineConfig } from 'vitest/config'
import shared from '../../vitest.shared.js'

/*
 * Vitest passes `ssr.resolve.conditions` to its worker processes as `--conditions`; the shared
 * list holds `import`, which makes Node's `require` inside `pg` (CommonJS) load `pg-pool`'s ES
 * module build and fail. This package drops `import` from the list (Vite adds it by itself for
 * ES imports).
 */
const conditions = ['@quire/source', 'module', 'node', 'default']

export default defineConfig({
  ...shared,
  resolve: { ...shared.resolve, conditions },
  ssr: { ...shared.ssr, resolve: { ...shared.ssr?.resolve, conditions, externalConditions: ['@quire/source'] } },
  test: {
    ...shared.test,
    // One real PostgreSQL server, started by the tests, for every test file (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
  },
})
