import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const example = readFileSync(new URL('./fixtures/readme-example.ts', import.meta.url), 'utf8')

describe('README', () => {
  it('shows the example that this test runs, verbatim', () => {
    expect(readme).toContain('```ts\n' + example + '```')
  })

  it('the example prints what the README says it prints', async () => {
    const lines: unknown[][] = []
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args)
    })
    try {
      await import('./fixtures/readme-example.js')
    } finally {
      log.mockRestore()
    }
    expect(lines).toEqual([
      [2, 'put', 'alice', '70'],
      [3, 'put', 'bob', '30'],
      [4, 'delete', 'carol', null],
      [4, 1],
    ])
  })
})
