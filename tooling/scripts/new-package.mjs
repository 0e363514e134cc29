// Scaffolds the files every published @quire package shares. Used once per package.
import { copyFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const [dir, name, description, depsJson = '{}', subpathsJson = '[]'] = process.argv.slice(2)
const deps = JSON.parse(depsJson)
const subpaths = JSON.parse(subpathsJson) // e.g. ["sim", "conformance"]

const entry = (src) => ({
  '@quire/source': `./src/${src}.ts`,
  types: `./dist/${src}.d.ts`,
  import: `./dist/${src}.js`,
  // CommonJS consumers: Node >= 20.19 loads the ES module build through require(esm).
  default: `./dist/${src}.js`,
})
const published = (src) => ({ types: `./dist/${src}.d.ts`, import: `./dist/${src}.js`, default: `./dist/${src}.js` })
const REPO = 'https://github.com/quire-storage/quire'
const short = name.replace(/^@quire\//, '')
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
  keywords: ['quire'],
  license: 'MIT',
  author: 'Quire maintainers',
  homepage: `${REPO}/tree/main/packages/${short}#readme`,
  repository: { type: 'git', url: `git+${REPO}.git`, directory: `packages/${short}` },
  bugs: { url: `${REPO}/issues` },
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20.19' },
  files: ['dist'],
  exports: exportsOf(entry),
  publishConfig: { access: 'public', exports: exportsOf(published) },
  scripts: {
    build: 'rm -rf dist && tsc -p tsconfig.build.json',
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
      // No source maps: they would point at src/, which is not published.
      compilerOptions: { noEmit: false, outDir: 'dist', rootDir: 'src', customConditions: [], sourceMap: false, declarationMap: false },
      include: ['src'],
    },
    null,
    2,
  ) + '\n',
)
copyFileSync(new URL('../../LICENSE', import.meta.url), join(dir, 'LICENSE'))
writeFileSync(join(dir, 'vitest.config.ts'), "export { default } from '../../vitest.shared.js'\n")
if (!existsSync(join(dir, 'src/index.ts'))) writeFileSync(join(dir, 'src/index.ts'), 'export {}\n')
