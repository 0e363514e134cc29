// Checks what would be published: packs the package the way `pnpm publish` would
// (publishConfig and the beforePacking hook of .pnpmfile.cjs applied), then runs publint and
// are-the-types-wrong on the tarball.
//
// attw runs the `node16` profile: ESM consumers and CommonJS consumers (node16 from CJS), as
// well as bundlers. The packages are ES modules; their exports map sends `require()` to the same
// ES module build (the `default` condition), which Node >= 20.19 loads synchronously
// (require(esm)); the consumer test runs every README example through require() to prove it.
// attw models TypeScript's `module: node16`, under which TypeScript still refuses such an import
// from a CommonJS file (TS1479, attw's "CJSResolvesToESM"); TypeScript >= 5.8 with
// `module: nodenext` (or node20) accepts it, as Node does. That one rule is therefore not an
// error here; the READMEs say which TypeScript settings a CommonJS project needs.
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
  run('attw', [tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'])
} finally {
  rmSync(out, { recursive: true, force: true })
}
