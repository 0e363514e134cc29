import pc from 'picocolors'

/** Where a run of the command line writes, and what it knows about its terminal. */
export interface CliIo {
  /** Standard output: results (NDJSON for `dump`/`export`, one JSON document under `--json`). */
  readonly stdout: NodeJS.WritableStream
  /** Standard error: progress, warnings and errors for a person. */
  readonly stderr: NodeJS.WritableStream
  /** Standard input, for `import` reading an export from a pipe. */
  readonly stdin: NodeJS.ReadableStream
  /** Environment variables (`NO_COLOR`, `FORCE_COLOR`). */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}

const isTty = (stream: NodeJS.WritableStream): boolean => 'isTTY' in stream && stream.isTTY === true

/**
 * Colour only on a terminal, and never with `NO_COLOR` set to anything non-empty
 * (https://no-color.org); `FORCE_COLOR` (non-empty, not `0`) turns it on for a pipe.
 */
export function wantsColour(stream: NodeJS.WritableStream, env: CliIo['env']): boolean {
  const noColour = env.NO_COLOR
  if (noColour !== undefined && noColour !== '') return false
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '' && force !== '0') return true
  return isTty(stream)
}

/** Colour functions that are the identity when colour is off. */
export type Colours = ReturnType<typeof pc.createColors>

/** The colours for `stream`. */
export function coloursFor(stream: NodeJS.WritableStream, env: CliIo['env']): Colours {
  return pc.createColors(wantsColour(stream, env))
}

/** Whether `stream` is a terminal (progress bars are drawn only there, unless forced). */
export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return isTty(stream)
}

/** Writes `text` and waits until the stream took it (so a large dump piped to `head` is paced). */
export async function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve))
}
