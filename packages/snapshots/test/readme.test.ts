import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('README', () => {
  it('the example runs and prints what its comments say', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(code).toBeDefined()
    const dir = await mkdtemp(join(tmpdir(), 'quire-snapshots-readme-'))
    // The example lives next to the tests so that its import resolves to this package's source.
    const script = fileURLToPath(new URL(`./readme-example-${process.pid}.tmp.ts`, import.meta.url))
    try {
      await writeFile(
        script,
        code!.replace("'./data/snapshots'", JSON.stringify(join(dir, 'snapshots'))).replace("'@quire/snapshots'", "'../src/index.js'"),
      )
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', script])
      expect(stdout).toBe("1337 { balance: 120, owner: 'ada' }\naccount-42\n")
    } finally {
      await rm(script, { force: true })
      await rm(dir, { recursive: true, force: true })
    }
  })
})
