import { readFully, type FileHandle } from '@quire/vfs'
import { NotNdjsonLogError } from './errors.js'
import { FORMAT_MAGIC } from './format.js'

/** How every header line of this format starts. */
const HEADER_PREFIX = new TextEncoder().encode(`{"format":"${FORMAT_MAGIC}"`)

/**
 * Refuses a file that was never a log of this library before recovery judges it: recovery would
 * call its first line a damaged header (`CORRUPT`), and a writable open would lock and
 * repair someone else's file. A file whose first bytes are this format's header prefix, or a
 * prefix of it (a header a crash tore while it was written), is left to recovery.
 *
 * @throws `NotNdjsonLogError` (`NOT_NDJSON_LOG`).
 */
export async function refuseForeignFile(handle: FileHandle, file: string, size: number): Promise<void> {
  if (size === 0) return
  const head = await readFully(handle, 0, Math.min(size, HEADER_PREFIX.byteLength))
  for (let i = 0; i < head.byteLength; i++) if (head[i] !== HEADER_PREFIX[i]) throw new NotNdjsonLogError(file)
}
