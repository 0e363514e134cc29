import { expect, it } from 'vitest'
import { runReadmeExample } from '@quire/test-kit'

it('the README shows the example this test runs, verbatim, and it prints what the README says', async () => {
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), new URL('./fixtures/readme-example.ts', import.meta.url))
  expect(lines).toEqual([
    [2, 'put', 'alice', '70'],
    [3, 'put', 'bob', '30'],
    [4, 'delete', 'carol', null],
    [4, 1],
  ])
})
