import type { FileSystem } from '@quire/vfs'
import { NdjsonLog, type LogEntry, type LogRecord, type NdjsonLogOptions } from '@quire/ndjson-log'

export const LOG = '/db/events.ndjson'

/** Free space the sim tests preallocate: small, so that files stay small and crash images few. */
export const SMALL_PAD = 1024

/** Every record of the log at `path` on `fs`, read through a fresh open (which recovers). */
export async function readAll(fs: FileSystem, opts: NdjsonLogOptions = {}, path = LOG): Promise<LogEntry<LogRecord>[]> {
  const log = await NdjsonLog.open(path, { ...opts, fs })
  try {
    const out: LogEntry<LogRecord>[] = []
    for await (const e of log.read()) out.push(e)
    return out
  } finally {
    await log.close()
  }
}

/** The file's text. */
export async function text(fs: FileSystem, path = LOG): Promise<string> {
  return Buffer.from(await fs.readFile(path)).toString('utf8')
}

/** True when every line of the text is a JSON object and the text ends with a newline (or is empty). */
export function isValidNdjson(content: string): boolean {
  if (content === '') return true
  if (!content.endsWith('\n')) return false
  return content
    .slice(0, -1)
    .split('\n')
    .every((line) => {
      try {
        const v: unknown = JSON.parse(line)
        return typeof v === 'object' && v !== null && !Array.isArray(v)
      } catch {
        return false
      }
    })
}

/** The exact JSON text of each record line's `rec`, keyed by seq. */
export function recTexts(content: string): Map<number, string> {
  const out = new Map<number, string>()
  for (const line of content.split('\n')) {
    const m = /^\{"seq":(\d+),(?:"batch":\[\d+,\d+\],)?"rec":(.*),"crc":"[0-9a-f]{8}"\}$/s.exec(line)
    if (m) out.set(Number(m[1]), m[2]!)
  }
  return out
}

/** The text without the free-space line a writer keeps at the end (FORMAT.md, "Free space"). */
export function withoutPad(content: string): string {
  return content.replace(/\{"pad":" *"\}\n$/, '')
}
