import { defineConfig } from 'vitest/config'
import shared from '../../vitest.shared.js'

/*
 * As in @quire/event-store-postgres: `pg` is CommonJS, and the shared `import` condition would
 * make its `require` load pg-pool's ES module build. The `import` condition is dropped here.
 */
const conditions = ['@quire/source', 'module', 'node', 'default']

export default defineConfig({
  ...shared,
  resolve: { ...shared.resolve, conditions },
  ssr: { ...shared.ssr, resolve: { ...shared.ssr?.resolve, conditions, externalConditions: ['@quire/source'] } },
})
