import { writeFileAtomic, type FileSystem } from '@quire/vfs'
import { encodePointer } from './pointer-file.js'

/**
 * Writes `rk/tail` in the background, after the adds it names were acknowledged (step 3 of the
 * append order in FORMAT.md). Requests coalesce: while one write runs, only the newest id waits.
 * The file is a hint for other readers and for recovery; the chain is the truth.
 */
export class TailWriter {
  readonly #fs: FileSystem
  readonly #path: string
  readonly #onError: (err: unknown) => void
  #wanted: string | null
  #written: string | null
  #running: Promise<void> | null = null

  constructor(fs: FileSystem, path: string, current: string | null, onError: (err: unknown) => void) {
    this.#fs = fs
    this.#path = path
    this.#onError = onError
    this.#wanted = current
    this.#written = current
  }

  /** Asks for `rk/tail` to name `id` (an id whose link is already durable). */
  request(id: string): void {
    this.#wanted = id
    this.#running ??= this.#loop()
  }

  /** Resolves once no write is running. */
  async settle(): Promise<void> {
    while (this.#running !== null) await this.#running
  }

  async #loop(): Promise<void> {
    try {
      while (this.#wanted !== null && this.#wanted !== this.#written) {
        const id = this.#wanted
        await writeFileAtomic(this.#fs, this.#path, encodePointer(id))
        this.#written = id
      }
    } catch (err) {
      this.#onError(err)
    } finally {
      this.#running = null
    }
  }
}
