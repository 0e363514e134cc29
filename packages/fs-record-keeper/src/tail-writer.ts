import { writeFileAtomic, type FileSystem } from '@quire/vfs'
import { TAIL_HINT_EVENTS } from './limits.js'
import { encodePointer } from './pointer-file.js'

/**
 * Writes `rk/tail` in the background, after the adds it names were acknowledged (step 3 of the
 * append order in FORMAT.md), once every {@link TAIL_HINT_EVENTS} events and when the store
 * closes. Requests coalesce: while one write runs, only the newest id waits.
 * The file is a hint for other readers and for recovery; the chain is the truth.
 */
export class TailWriter {
  readonly #fs: FileSystem
  readonly #path: string
  readonly #onError: (err: unknown) => void
  #wanted: string | null
  #written: string | null
  #running: Promise<void> | null = null
  /** Events linked since the last request. */
  #unwritten = 0

  constructor(fs: FileSystem, path: string, current: string | null, onError: (err: unknown) => void) {
    this.#fs = fs
    this.#path = path
    this.#onError = onError
    this.#wanted = current
    this.#written = current
  }

  /**
   * Notes that `events` more events are linked, the last being `id`; asks for `rk/tail` to name
   * it only once {@link TAIL_HINT_EVENTS} have gathered, so the hint costs no syncs per add.
   */
  hint(id: string, events: number): void {
    this.#unwritten += events
    if (this.#unwritten >= TAIL_HINT_EVENTS) this.request(id)
  }

  /** Asks for `rk/tail` to name `id` (an id whose link is already durable). */
  request(id: string): void {
    this.#unwritten = 0
    this.#wanted = id
    // Only when there is work: a loop with none would finish before `#running` is set, leaving it set.
    if (id !== this.#written) this.#running ??= this.#loop()
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
