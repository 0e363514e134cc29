import { closeSync, constants, fdatasyncSync, openSync, writeSync } from 'node:fs'
import type { InlineWriter } from './append-file.js'

/**
 * Opens `path` (an existing file) a second time for {@link InlineWriter}'s synchronous durable
 * writes: with `O_DSYNC` where the platform has it (one `write` per append), else each write is
 * followed by `fdatasync`. Throws the `fs` error when the file cannot be opened.
 */
export function openInlineWriter(path: string): InlineWriter {
  const dsync = constants.O_DSYNC as number | undefined
  const fd = openSync(path, dsync === undefined ? constants.O_RDWR : constants.O_RDWR | dsync)
  let open = true
  return {
    write(data, position) {
      // The kernel may take fewer bytes than asked; keep going until all are written or it fails.
      let done = 0
      while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done, position + done)
      if (dsync === undefined) fdatasyncSync(fd)
    },
    close() {
      if (!open) return
      open = false
      try {
        closeSync(fd)
      } catch {
        // Nothing to do: the descriptor is gone either way.
      }
    },
  }
}
