import { expect, it } from 'vitest'
import { runReadmeExample } from '@quire/test-kit'

it('the README shows the example this test runs, verbatim, and it prints what the README says', async () => {
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), new URL('./fixtures/readme-example.ts', import.meta.url))
  expect(lines).toEqual([
    [0, 1n],
    ['WRONG_EXPECTED_VERSION', 1],
    [true, 2],
    [0, 'Opened', { owner: 'ada' }],
    [1, 'Withdrawn', { amount: 30 }],
    [2, 'FeeCharged', { amount: 1, at: new Date('2025-01-31T00:00:00.000Z') }],
    [4n, 'account-7'],
    [3n, 'account-9'],
  ])
})
