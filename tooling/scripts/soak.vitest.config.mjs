// Vitest config of `pnpm soak` (tooling/scripts/soak.mjs): the packages' shared config plus the
// soak's setup file, which counts crash images and SIGKILLs and writes each test file's tally, and
// timeouts sized for thousands of runs.
import { fileURLToPath } from 'node:url'
import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.js'

export default mergeConfig(shared, {
  test: {
    setupFiles: [fileURLToPath(new URL('../test-kit/src/soak-setup.ts', import.meta.url))],
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 10 * 60 * 1000,
  },
})
