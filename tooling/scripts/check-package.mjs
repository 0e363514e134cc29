// Checks what would be published: packs the package the way `pnpm publish` would
// (publishConfig applied), then runs publint and are-the-types-wrong on the tarball.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const out = mkdtempSync(join(tmpdir(), 'quire-pack-'))
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' })
try {
  execFileSync('pnpm', ['pack', '--pack-destination', out], { stdio: ['ignore', 'ignore', 'inherit'] })
  const tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz')))
  run('publint', ['run', tarball, '--strict'])
  run('attw', [tarball, '--profile', 'esm-only', '--format', 'table-flipped'])
} finally {
  rmSync(out, { recursive: true, force: true })
}
