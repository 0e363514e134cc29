// Scaffolds the files every published @quire package shares. Used once per package.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const [dir, name, description, depsJson = '{}', subpathsJson = '[]'] = process.argv.slice(2)
const deps = JSON.parse(depsJson)
const subpaths = JSON.parse(subpathsJson) // e.g. ["sim", "conformance"]

const entry = (src) => ({
  '@quire/source': `./src/${src}.ts`,
  types: `./dist/${src}.d.ts`,
  import: `./dist/${src}.js`,
})
const published = (src) => ({ types: `./dist/${src}.d.ts`, import: `./dist/${src}.js` })
const exportsOf = (make) => {
  const out = { '.': make('index') }
  for (const s of subpaths) out[`./${s}`] = make(`${s}/index`)
  out['./package.json'] = './package.json'
  return out
}

const pkg = {
  name,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20.19' },
  files: ['dist'],
  exports: exportsOf(entry),
  publishConfig: { access: 'public', exports: exportsOf(published) },
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    typecheck: 'tsc -p tsconfig.json',
    lint: 'eslint .',
    test: 'vitest run',
    'check-package': 'node ../../tooling/scripts/check-package.mjs',
  },
  dependencies: deps,
  devDependencies: { '@quire/test-kit': 'workspace:*' },
}
mkdirSync(join(dir, 'src'), { recursive: true })
mkdirSync(join(dir, 'test'), { recursive: true })
writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify(
    { extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src', 'test', '*.config.ts'] },
    null,
    2,
  ) + '\n',
)
writeFileSync(
  join(dir, 'tsconfig.build.json'),
  JSON.stringify(
    {
      extends: '../../tsconfig.base.json',
      // Resolve sibling packages to their built dist, never compile their src into ours.
      compilerOptions: { noEmit: false, outDir: 'dist', rootDir: 'src', customConditions: [] },
      include: ['src'],
    },
    null,
    2,
  ) + '\n',
)
writeFileSync(join(dir, 'vitest.config.ts'), "export { default } from '../../vitest.shared.js'\n")
if (!existsSync(join(dir, 'src/index.ts'))) writeFileSync(join(dir, 'src/index.ts'), 'export {}\n')
