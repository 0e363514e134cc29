import Database from 'better-sqlite3'

/** One event as the peer stores it: `topic` and a JSON `state`, as the Python library does. */
export interface TableEvent {
  readonly type: string
  readonly data: unknown
}

/** One row read back, decoded. */
export interface TableRow {
  readonly notificationId: number
  readonly stream: string
  readonly revision: number
  readonly type: string
  readonly data: unknown
}

interface RawRow {
  notification_id: number
  originator_id: string
  originator_version: number
  topic: string
  state: Buffer
}

/**
 * An event table in better-sqlite3 laid out the way the Python `eventsourcing` library's SQLite
 * application recorder lays it out (`eventsourcing/sqlite.py`): `stored_events` with an
 * autoincrement `notification_id` (the global order), `(originator_id, originator_version)`
 * unique, `topic` and a JSON `state` blob; a `snapshots` table of the same shape. The journal is
 * WAL with `synchronous = FULL` (durable at commit), and every append is one write transaction:
 * the expected-revision check is the unique key (a second writer of the same revision gets
 * `SQLITE_CONSTRAINT_UNIQUE` and the transaction rolls back).
 */
export class SqliteEventTable {
  readonly #db: Database.Database
  readonly #insert: Database.Statement
  readonly #append: (stream: string, events: readonly TableEvent[], firstRevision: number) => number
  readonly #load: (streams: readonly { stream: string; events: readonly TableEvent[] }[]) => void
  readonly #page: Database.Statement
  readonly #after: Database.Statement
  readonly #lastSnapshot: Database.Statement
  readonly #saveSnapshot: Database.Statement

  private constructor(db: Database.Database) {
    this.#db = db
    this.#insert = db.prepare(
      'INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)',
    )
    // `.immediate`: the write lock is taken at BEGIN, as a write transaction should.
    const tx = db.transaction((stream: string, events: readonly TableEvent[], firstRevision: number): number => {
      let last = 0
      for (const [k, e] of events.entries()) {
        last = Number(this.#insert.run(stream, firstRevision + k, e.type, Buffer.from(JSON.stringify(e.data))).lastInsertRowid)
      }
      return last
    })
    this.#append = (stream, events, firstRevision) => tx.immediate(stream, events, firstRevision)
    const load = db.transaction((streams: readonly { stream: string; events: readonly TableEvent[] }[]) => {
      for (const s of streams) tx(s.stream, s.events, 0)
    })
    this.#load = (streams) => load.immediate(streams)
    // The library's select_notifications(start, limit).
    this.#page = db.prepare(
      'SELECT notification_id, originator_id, originator_version, topic, state FROM stored_events WHERE notification_id >= ? ORDER BY notification_id LIMIT ?',
    )
    // Its select_events(originator_id, gt=...).
    this.#after = db.prepare(
      'SELECT notification_id, originator_id, originator_version, topic, state FROM stored_events WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version',
    )
    this.#lastSnapshot = db.prepare(
      'SELECT originator_version, state FROM snapshots WHERE originator_id = ? ORDER BY originator_version DESC LIMIT 1',
    )
    this.#saveSnapshot = db.prepare('INSERT INTO snapshots (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)')
  }

  /** Opens (creating) the table in the database file at `path`. */
  static open(path: string): SqliteEventTable {
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(`
      CREATE TABLE IF NOT EXISTS stored_events (
        notification_id INTEGER PRIMARY KEY AUTOINCREMENT,
        originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL,
        topic TEXT NOT NULL,
        state BLOB NOT NULL,
        UNIQUE (originator_id, originator_version));
      CREATE TABLE IF NOT EXISTS snapshots (
        originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL,
        topic TEXT NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID;`)
    return new SqliteEventTable(db)
  }

  /**
   * Appends `events` to `stream` at revisions `expectedRevision + 1 ...` (`-1` for a new stream),
   * in one durable transaction. Returns the last notification id.
   * @throws better-sqlite3's `SQLITE_CONSTRAINT_UNIQUE` when a revision is taken.
   */
  append(stream: string, events: readonly TableEvent[], expectedRevision: number): number {
    return this.#append(stream, events, expectedRevision + 1)
  }

  /** Bulk load for building a store: new streams, many in one transaction. */
  load(streams: readonly { stream: string; events: readonly TableEvent[] }[]): void {
    this.#load(streams)
  }

  /** Every event from notification id `start` on, read in pages of `pageSize`, decoded. */
  *readAll(pageSize: number, start = 1): Generator<TableRow> {
    let next = start
    for (;;) {
      const rows = this.#page.all(next, pageSize) as RawRow[]
      for (const r of rows) yield decode(r)
      if (rows.length < pageSize) return
      next = rows[rows.length - 1]!.notification_id + 1
    }
  }

  /** The stream's events after `revision`, decoded. */
  eventsAfter(stream: string, revision: number): TableRow[] {
    return (this.#after.all(stream, revision) as RawRow[]).map(decode)
  }

  /** The newest snapshot of `stream`, or `undefined`. */
  lastSnapshot(stream: string): { revision: number; state: unknown } | undefined {
    const row = this.#lastSnapshot.get(stream) as { originator_version: number; state: Buffer } | undefined
    return row === undefined ? undefined : { revision: row.originator_version, state: JSON.parse(row.state.toString('utf8')) as unknown }
  }

  saveSnapshot(stream: string, revision: number, state: unknown): void {
    this.#saveSnapshot.run(stream, revision, 'snapshot', Buffer.from(JSON.stringify(state)))
  }

  close(): void {
    this.#db.close()
  }
}

function decode(r: RawRow): TableRow {
  return {
    notificationId: r.notification_id,
    stream: r.originator_id,
    revision: r.originator_version,
    type: r.topic,
    data: JSON.parse(r.state.toString('utf8')) as unknown,
  }
}
