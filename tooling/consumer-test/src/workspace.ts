import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mapLimit, runOrThrow } from './process.js'

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** A public package of the workspace, as found in `packages/*`. */
export interface WorkspacePackage {
  /** `@quire/wal` */
  readonly name: string
  /** `wal`: the folder under `packages/`, also the name of its example files. */
  readonly short: string
  readonly dir: string
  /** Subpath exports besides `.` and `./package.json` (`./sim`). */
  readonly subpaths: readonly string[]
}

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly exports?: Record<string, unknown>
}

export function publicPackages(): WorkspacePackage[] {
  const packagesDir = join(repoRoot, 'packages')
  const out: WorkspacePackage[] = []
  for (const short of readdirSync(packagesDir).sort()) {
    const file = join(packagesDir, short, 'package.json')
    if (!existsSync(file)) continue
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest
    if (manifest.private === true) continue
    const subpaths = Object.keys(manifest.exports ?? {}).filter((k) => k !== '.' && k !== './package.json')
    out.push({ name: manifest.name, short, dir: join(packagesDir, short), subpaths })
  }
  return out
}

/**
 * Packs every package the way `pnpm publish` would (publishConfig and the `beforePacking` hook
 * of `.pnpmfile.cjs` applied, `workspace:` ranges replaced), into `destination`. Returns the
 * tarball of each package, in the order given. The packages must be built (`pnpm build`).
 */
export async function packAll(packages: readonly WorkspacePackage[], destination: string): Promise<Map<string, string>> {
  for (const p of packages) {
    if (!existsSync(join(p.dir, 'dist', 'index.js'))) throw new Error(`${p.name} is not built (no dist/index.js): run \`pnpm build\` first`)
  }
  const tarballs = await mapLimit(packages, 2, async (p) => {
    const { stdout } = await runOrThrow('pnpm', ['pack', '--json', '--pack-destination', destination], { cwd: p.dir })
    const { filename } = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string }
    return [p.name, filename] as const
  })
  return new Map(tarballs)
}
