import { createLogUpdate } from 'log-update'

/**
 * The live status line. On a terminal it is redrawn in place (log-update) under the lines the
 * demo prints; elsewhere (CI, a pipe) it is printed as a plain line every few seconds.
 */
export class StatusLine {
  readonly #stream: NodeJS.WriteStream
  readonly #live: ReturnType<typeof createLogUpdate> | undefined
  #lastPlainMs = 0
  #text = ''

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.#stream = stream
    this.#live = stream.isTTY ? createLogUpdate(stream) : undefined
  }

  /** Shows `text` as the current status. */
  update(text: string): void {
    this.#text = text
    if (this.#live !== undefined) return this.#live(text)
    const now = Date.now()
    if (now - this.#lastPlainMs >= 5_000) {
      this.#lastPlainMs = now
      this.#stream.write(`   … ${text}\n`)
    }
  }

  /** Prints a permanent line above the status. */
  log(line: string): void {
    if (this.#live === undefined) return void this.#stream.write(`${line}\n`)
    this.#live.clear()
    this.#stream.write(`${line}\n`)
    this.#live(this.#text)
  }

  /** Removes the status line for good. */
  done(): void {
    this.#live?.clear()
    this.#live?.done()
  }
}
