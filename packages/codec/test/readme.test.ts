import { expect, it } from 'vitest'
import { runReadmeExample } from '@quire/test-kit'

it('the README shows the example this test runs, verbatim, and it prints what the README says', async () => {
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), new URL('./fixtures/readme-example.ts', import.meta.url))
  expect(lines).toEqual([
    ['torn', 22, [{ id: 1, at: new Date('2024-01-01T00:00:00.000Z') }]],
    [{ end: 43, status: 'clean' }],
    ['INVALID_VALUE', 'data.items[3].when'],
  ])
})
