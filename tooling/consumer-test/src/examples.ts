import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { WorkspacePackage } from './workspace.js'

/**
 * A README's example as the consumer test runs it.
 *
 * The rule a README follows: its example is the first fenced block marked `js`. It is plain
 * JavaScript for Node 20 that also type-checks as strict TypeScript, written as an ES module
 * (`import`, top-level `await`), and every line it prints is announced, in order, by a comment
 * `// → <the line>` (at the end of the statement that prints it, or on the lines after it).
 */
export interface Example {
  readonly source: string
  /** What the example must print to stdout, line by line. */
  readonly expected: readonly string[]
  /** What keeps it from running here (a README without a `js` block), when something does. */
  readonly problem?: string
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```/gm

/**
 * Reads the example of a package's README. `legacy` also accepts a `ts` block (how the READMEs
 * were written before this test existed), to show how those examples fare in a user's project.
 */
export function readExample(pkg: WorkspacePackage, legacy = false): Example {
  const file = join(pkg.dir, 'README.md')
  if (!existsSync(file)) return { source: '', expected: [], problem: 'the package has no README.md' }
  const readme = readFileSync(file, 'utf8')
  for (const [, lang, body] of readme.matchAll(FENCE)) {
    if (body === undefined) continue
    if (lang === 'js' || (legacy && lang === 'ts' && body.includes(`from '${pkg.name}`))) {
      return { source: body, expected: expectedOutput(body) }
    }
  }
  return { source: '', expected: [], problem: 'the README has no ```js example' }
}

/** The `// → ` comments of an example, in order: each is one line of stdout. */
export function expectedOutput(source: string): string[] {
  const out: string[] = []
  for (const line of source.split('\n')) {
    const at = line.indexOf('// → ')
    if (at >= 0) out.push(line.slice(at + '// → '.length).trimEnd())
  }
  return out
}

const NAMED_IMPORT = /^import\s+\{([^}]*)\}\s+from\s+('[^']+'|"[^"]+");?[ \t]*$/gm

/**
 * The example as a CommonJS script: its `import { a, b as c } from 'x'` lines become
 * `const { a, b: c } = require('x')` and the rest runs inside an async function (CommonJS has
 * no top-level `await`). This is what the README's CommonJS note tells a user to do.
 */
export function toCommonJs(source: string): string {
  const requires: string[] = []
  const body = source.replace(NAMED_IMPORT, (_, names: string, from: string) => {
    const bindings = names
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '')
      .map((n) => n.replace(/\s+as\s+/, ': '))
    requires.push(`const { ${bindings.join(', ')} } = require(${from})`)
    return ''
  })
  if (/^import\s/m.test(body)) throw new Error('the example has an import the CommonJS rewrite does not handle (use `import { ... } from`)')
  return `${requires.join('\n')}\n\nasync function main() {\n${body}}\n\nmain().catch((error) => {\n  console.error(error)\n  process.exitCode = 1\n})\n`
}

/**
 * The example as a CommonJS TypeScript module (`.cts`): the `import` lines stay (TypeScript
 * compiles them to `require`), the rest runs inside an async function.
 */
export function toCommonJsTypeScript(source: string): string {
  const imports: string[] = []
  const body = source.replace(NAMED_IMPORT, (line: string) => {
    imports.push(line.trim())
    return ''
  })
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {\n${body}}\n\nmain().catch((error: unknown) => {\n  console.error(error)\n  process.exitCode = 1\n})\n`
}
