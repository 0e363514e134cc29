import { readFile } from 'node:fs/promises'

/**
 * A package README's example, kept honest: checks that the README shows the example file
 * verbatim in a ```js (or ```ts) block, runs it (by importing it), and returns the arguments of
 * each `console.log` call it made, for the test to compare with what the README says it prints.
 * The consumer test (tooling/consumer-test) is the authority on README examples: it runs them
 * with plain `node` in a project that installed the packed tarballs.
 */
export async function runReadmeExample(readmeUrl: URL, exampleUrl: URL): Promise<unknown[][]> {
  const [readme, example] = await Promise.all([readFile(readmeUrl, 'utf8'), readFile(exampleUrl, 'utf8')])
  if (!readme.includes('```js\n' + example + '```') && !readme.includes('```ts\n' + example + '```')) {
    throw new Error(`${readmeUrl.pathname} does not show ${exampleUrl.pathname} verbatim in a \`\`\`js or \`\`\`ts block`)
  }
  const lines: unknown[][] = []
  const log = console.log
  console.log = (...args: unknown[]) => void lines.push(args)
  try {
    await import(exampleUrl.href)
  } finally {
    console.log = log
  }
  return lines
}
