import { runOrThrow } from './process.js'

/** The fields every published manifest must carry (a user and the npm page read them). */
const REQUIRED_FIELDS = ['name', 'version', 'description', 'license', 'author', 'repository', 'homepage', 'bugs', 'keywords', 'engines', 'exports'] as const

/** Fields that only make sense inside the workspace and must not be published. */
const WORKSPACE_ONLY_FIELDS = ['scripts', 'devDependencies'] as const

interface PackedManifest {
  readonly [key: string]: unknown
  readonly exports?: Record<string, unknown>
}

/**
 * What a tarball ships, checked the way a user would find it: its package.json (publish-ready
 * metadata, nothing workspace-only, an exports map that serves `import` and `require`) and its
 * files (README, LICENSE, no source map pointing at sources it does not ship).
 * Returns the problems found (none: ok).
 */
export async function checkTarball(tarball: string, cwd: string): Promise<string[]> {
  const problems: string[] = []
  const files = (await runOrThrow('tar', ['-tzf', tarball], { cwd })).stdout.split('\n').filter((f) => f !== '')
  const manifestText = (await runOrThrow('tar', ['-xzOf', tarball, 'package/package.json'], { cwd })).stdout
  const manifest = JSON.parse(manifestText) as PackedManifest

  for (const field of REQUIRED_FIELDS) {
    const value = manifest[field]
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) problems.push(`package.json has no "${field}"`)
  }
  for (const field of WORKSPACE_ONLY_FIELDS) if (field in manifest) problems.push(`package.json still has "${field}"`)
  if (manifestText.includes('workspace:')) problems.push('package.json still has a workspace: range')
  if (manifestText.includes('@quire/source')) problems.push('package.json still has the @quire/source condition')

  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue
    const conditions = typeof target === 'object' && target !== null ? Object.keys(target) : []
    for (const c of ['types', 'import', 'default']) if (!conditions.includes(c)) problems.push(`exports["${subpath}"] has no "${c}" condition`)
    if (conditions[0] !== 'types') problems.push(`exports["${subpath}"]: "types" must come first`)
  }

  for (const name of ['package/README.md', 'package/LICENSE']) if (!files.includes(name)) problems.push(`the tarball has no ${name.slice('package/'.length)}`)
  const maps = files.filter((f) => f.endsWith('.map'))
  if (maps.length > 0 && !files.some((f) => f.startsWith('package/src/'))) {
    problems.push(`${maps.length} source maps point at src/, which is not shipped`)
  }
  return problems
}
