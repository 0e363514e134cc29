import { runReadmeExample } from '@quire/test-kit'
import { expect, it } from 'vitest'
import { pgUrl } from './support/stores.js'

it('the README shows the example this test runs, verbatim, and it prints what the README says', async () => {
  process.env.DATABASE_URL = pgUrl()
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), new URL('./fixtures/readme-example.ts', import.meta.url))
  expect(lines).toEqual([
    [0, 'bigint'],
    ['account-7@0 Opened, account-7@1 Withdrawn, account-9@0 Deposited'],
    [['transactions', 'eventsWaiting', 'oldestTransaction']],
  ])
})
