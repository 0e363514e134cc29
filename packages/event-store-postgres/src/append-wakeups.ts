import pg from 'pg'

/** How long a reconnect of the LISTEN connection waits at first, and at most (doubling). */
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 5_000
/** Appends of this process are announced to other processes at most once per this many ms. */
const NOTIFY_INTERVAL_MS = 5

export interface AppendWakeupsOptions {
  /** The notification channel (one per schema). */
  readonly channel: string
  /** A direct connection for `LISTEN`; `undefined`: poll only. */
  readonly listenConfig: pg.ClientConfig | undefined
  /** Sends a notification when the LISTEN connection is down. */
  readonly pool: pg.Pool
  /** A waiter re-reads at least this often, notification or not. */
  readonly pollIntervalMs: number
}

/**
 * Wake-ups for readers waiting for new events: a counter that moves on every `NOTIFY` on the
 * store's channel (any process's append), on every append of this process, and for each waiter
 * at least every `pollIntervalMs`. A wake-up carries nothing; readers re-read the database, so a
 * lost or late notification costs latency, never an event. The poll is what makes that true:
 * NOTIFY is not durable (a process killed between its commit and its notify never sends one), and
 * `$all` can also move when a transaction that is not an append ends (README "horizon").
 *
 * The notify is sent after the append committed, from this connection, coalesced (at most one in
 * flight and one per {@link NOTIFY_INTERVAL_MS}; appends meanwhile make one more), never inside
 * the append's transaction: a notifying
 * transaction holds a database-wide lock from before its commit record to its end, which would
 * serialize the commit flushes of every appender (PostgreSQL `async.c`, `PreCommit_Notify`).
 */
export class AppendWakeups {
  readonly #options: AppendWakeupsOptions
  #generation = 0
  readonly #waiters = new Set<() => void>()
  #client: pg.Client | undefined
  #listening = false
  #reconnectMs = RECONNECT_MIN_MS
  #reconnectTimer: NodeJS.Timeout | undefined
  #notifyInFlight = false
  #notifyAgain = false
  #closed = false

  constructor(options: AppendWakeupsOptions) {
    this.#options = options
  }

  /** Connects the LISTEN connection (if configured). Rejects if the first connect fails. */
  async start(): Promise<void> {
    if (this.#options.listenConfig !== undefined) await this.#connect()
  }

  /** Moves on every wake-up; compare with a value read before checking the database. */
  get generation(): number {
    return this.#generation
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#listening
  }

  /**
   * Resolves once the generation is past `since` (right away if it already is), after
   * `pollIntervalMs`, or when `signal` aborts or this closes. Never rejects.
   */
  wait(since: number, signal: AbortSignal): Promise<void> {
    if (this.#generation !== since || signal.aborted || this.#closed) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.#waiters.delete(done)
        resolve()
      }
      // The poll is a wake-up like any other (it moves the generation): the head may have moved
      // without a notification.
      const timer = setTimeout(() => this.#wake(), this.#options.pollIntervalMs)
      signal.addEventListener('abort', done, { once: true })
      this.#waiters.add(done)
    })
  }

  /** This process committed an append: wake local readers now and tell other processes. */
  announce(): void {
    this.#wake()
    if (this.#notifyInFlight) {
      this.#notifyAgain = true
      return
    }
    this.#notifyInFlight = true
    void this.#notify()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
    this.#wake()
    const client = this.#client
    this.#client = undefined
    this.#listening = false
    if (client !== undefined) await client.end().catch(() => undefined)
  }

  #wake(): void {
    this.#generation++
    for (const done of [...this.#waiters]) done()
  }

  async #notify(): Promise<void> {
    try {
      do {
        this.#notifyAgain = false
        const started = Date.now()
        const via = this.#listening && this.#client !== undefined ? this.#client : this.#options.pool
        // A failed notify is only a lost wake-up: other processes' polls cover it.
        // PostgreSQL gives a notifying transaction an xid, so its commit waits for a WAL flush
        // while holding the database-wide notify lock; a wake-up needs no durability.
        await via.query("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", [this.#options.channel, '']).catch(() => undefined)
        // Under load, one notify per interval covers every append made meanwhile: a query per
        // append would double the round trips (and the CPU) of the write path.
        const wait = NOTIFY_INTERVAL_MS - (Date.now() - started)
        if (this.#notifyAgain && wait > 0 && !this.#closed) await new Promise((resolve) => setTimeout(resolve, wait))
      } while (this.#notifyAgain && !this.#closed)
    } finally {
      this.#notifyInFlight = false
    }
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#options.listenConfig)
    // An error on an idle client would otherwise be an uncaught 'error' event.
    client.on('error', () => this.#lost(client))
    client.on('end', () => this.#lost(client))
    client.on('notification', () => this.#wake())
    this.#client = client
    await client.connect()
    await client.query(`LISTEN "${this.#options.channel}"`)
    if (this.#closed) {
      await client.end().catch(() => undefined)
      return
    }
    this.#listening = true
    this.#reconnectMs = RECONNECT_MIN_MS
    // Notifications sent while the connection was down are lost: everyone re-reads.
    this.#wake()
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return
    this.#client = undefined
    this.#listening = false
    void client.end().catch(() => undefined)
    this.#reconnectLater()
  }

  /** One reconnect attempt after a growing delay; a failed attempt schedules the next. */
  #reconnectLater(): void {
    if (this.#closed || this.#reconnectTimer !== undefined) return
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      this.#connect().catch(() => {
        const client = this.#client
        this.#client = undefined
        this.#listening = false
        if (client !== undefined) void client.end().catch(() => undefined)
        this.#reconnectMs = Math.min(this.#reconnectMs * 2, RECONNECT_MAX_MS)
        this.#reconnectLater()
      })
    }, this.#reconnectMs)
    this.#reconnectTimer.unref()
  }
}
