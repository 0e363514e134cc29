import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toCommonJs, toCommonJsTypeScript, type Example } from './examples.js'

/**
 * One way a stranger's project consumes the packages. Each kind of project is a fresh npm
 * project of its own, with every tarball installed into it (one install per project).
 */
export interface ConsumerKind {
  /** Column of the table. */
  readonly id: string
  /** The project it runs in. */
  readonly project: ProjectKind
  /** Where the example goes, relative to the project (`src/wal.ts`). */
  sourceFile(short: string): string
  /** What `node` runs, relative to the project (the compiled file for TypeScript). */
  runFile(short: string): string
  /** The example rewritten for this kind. */
  render(example: Example): string
}

export interface ProjectKind {
  readonly id: 'esm' | 'cjs' | 'ts-nodenext' | 'ts-bundler'
  readonly packageJson: Record<string, unknown>
  /** Extra packages from the registry (TypeScript projects need Node's types for `node:` imports). */
  readonly registryDeps: readonly string[]
  /** `tsconfig.json`, for TypeScript projects. */
  readonly tsconfig?: Record<string, unknown>
}

/**
 * Packages whose declarations need more than their own: `@quire/event-store-postgres` exposes
 * `pg`'s types (a `pg.Pool` option), so a TypeScript user installs `@types/pg` (which itself
 * needs `@types/node`), as its README says. `@quire/cli`'s programmatic API (`run(argv, io)`)
 * takes Node's streams, so its declarations name `NodeJS.WritableStream`: its TypeScript users
 * have `@types/node`, as its README says.
 */
export const TYPES_NEEDED: Readonly<Record<string, readonly string[]>> = {
  '@quire/event-store-postgres': ['@types/pg@^8'],
  '@quire/cli': ['@types/node@^20.19.0'],
}
const TYPES_PACKAGES = [...new Set(Object.values(TYPES_NEEDED).flat())]

/** What every TypeScript consumer turns on: what `tsc --init` suggests, and lib checks on. */
const strictTs = {
  target: 'ES2022',
  strict: true,
  // Checks the packages' .d.ts files too, as a user without skipLibCheck would.
  skipLibCheck: false,
  outDir: 'out',
  rootDir: 'src',
  types: ['node'],
  esModuleInterop: true,
}

export const projects: Record<ProjectKind['id'], ProjectKind> = {
  esm: { id: 'esm', packageJson: { name: 'consumer-esm', version: '1.0.0', private: true, type: 'module' }, registryDeps: [] },
  // What `npm init -y` writes: no "type", so `.js` files are CommonJS.
  cjs: { id: 'cjs', packageJson: { name: 'consumer-cjs', version: '1.0.0', private: true }, registryDeps: [] },
  'ts-nodenext': {
    id: 'ts-nodenext',
    packageJson: { name: 'consumer-ts-nodenext', version: '1.0.0', private: true, type: 'module' },
    registryDeps: ['@types/node@^20.19.0', ...TYPES_PACKAGES],
    tsconfig: { compilerOptions: { ...strictTs, module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] },
  },
  'ts-bundler': {
    id: 'ts-bundler',
    packageJson: { name: 'consumer-ts-bundler', version: '1.0.0', private: true, type: 'module' },
    registryDeps: ['@types/node@^20.19.0', ...TYPES_PACKAGES],
    tsconfig: { compilerOptions: { ...strictTs, module: 'preserve', moduleResolution: 'bundler' }, include: ['src'] },
  },
}

export const consumerKinds: readonly ConsumerKind[] = [
  {
    id: 'ESM js',
    project: projects.esm,
    sourceFile: (s) => `${s}.js`,
    runFile: (s) => `${s}.js`,
    render: (e) => e.source,
  },
  {
    id: 'CJS js (require)',
    project: projects.cjs,
    sourceFile: (s) => `${s}.js`,
    runFile: (s) => `${s}.js`,
    render: (e) => toCommonJs(e.source),
  },
  {
    id: 'TS NodeNext',
    project: projects['ts-nodenext'],
    sourceFile: (s) => `src/${s}.ts`,
    runFile: (s) => `out/${s}.js`,
    render: (e) => e.source,
  },
  {
    id: 'TS NodeNext .cts',
    project: projects['ts-nodenext'],
    sourceFile: (s) => `src/${s}-cjs.cts`,
    runFile: (s) => `out/${s}-cjs.cjs`,
    render: (e) => toCommonJsTypeScript(e.source),
  },
  {
    id: 'TS bundler',
    project: projects['ts-bundler'],
    sourceFile: (s) => `src/${s}.ts`,
    runFile: (s) => `out/${s}.js`,
    render: (e) => e.source,
  },
]

/** Writes a project's package.json and tsconfig.json into a fresh directory. */
export function writeProject(dir: string, kind: ProjectKind): void {
  mkdirSync(join(dir, 'src'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify(kind.packageJson, null, 2) + '\n')
  if (kind.tsconfig !== undefined) writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(kind.tsconfig, null, 2) + '\n')
}

/**
 * The declarations alone, compiled the strictest way a user may: `lib: ES2022`, lib checks on,
 * and `types` as given (none: no `@types/node`). Every entry point in `entries` is imported.
 * Returns the tsconfig's name.
 */
export function writeTypesOnlyCheck(dir: string, entries: readonly string[], name: string, types: readonly string[] = []): string {
  mkdirSync(join(dir, name), { recursive: true })
  const lines = entries.map((e, i) => `import type * as m${i} from '${e}'\nexport type T${i} = typeof m${i}`)
  writeFileSync(join(dir, name, 'all.ts'), lines.join('\n') + '\n')
  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      types,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    },
    include: [name],
  }
  writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify(config, null, 2) + '\n')
  return `tsconfig.${name}.json`
}
