import type { MvccStore, Transaction } from '@quire/mvcc'

/**
 * The read model: balances, recent statement lines and totals, as keys of an `@quire/mvcc`
 * store that the projection (`projection.ts`) keeps, with its checkpoint, in one transaction.
 *
 * | key | value |
 * | --- | --- |
 * | `meta/checkpoint` | {@link ProjectionCheckpoint}: the last event applied |
 * | `meta/totals` | {@link TotalsView} |
 * | `acct/<accountId>` | {@link AccountView} |
 * | `line/<accountId>/<seq, 10 digits>` | {@link LineView}, the newest `READ_MODEL_LINES_KEPT` per account |
 * | `doc/<objectId>` | {@link StatementView}: an issued statement document |
 */
export const keys = {
  checkpoint: 'meta/checkpoint',
  totals: 'meta/totals',
  account: (accountId: string): string => `acct/${accountId}`,
  line: (accountId: string, seq: number): string => `line/${accountId}/${String(seq).padStart(10, '0')}`,
  linePrefix: (accountId: string): string => `line/${accountId}/`,
  document: (objectId: string): string => `doc/${objectId}`,
} as const

/** Where the projection stands: the `$all` position and id of the last event it applied. */
export interface ProjectionCheckpoint {
  readonly position: number
  readonly eventId: string
}

export interface AccountView {
  readonly accountId: string
  readonly owner: string
  /** Cents. */
  readonly balance: number
  /** Revision of the account stream's last applied event. */
  readonly revision: number
  /** Statement lines written so far (the next line's `seq`). */
  readonly lines: number
}

/** One statement line: an event that moved money or was declined. */
export interface LineView {
  readonly seq: number
  readonly revision: number
  readonly position: number
  readonly type: string
  /** Signed change of the balance in cents (0 for a decline). */
  readonly amount: number
  /** Balance after the line, cents. */
  readonly balance: number
  /** The other account of a transfer. */
  readonly counterparty?: string
}

export interface StatementView {
  readonly accountId: string
  readonly statementId: string
  readonly objectId: string
  readonly bytes: number
  readonly sha256: string
  readonly toRevision: number
}

export interface TotalsView {
  readonly accounts: number
  /** Sum of all balances, cents: deposits minus withdrawals, since transfers move money only. */
  readonly money: number
  readonly events: number
  readonly deposits: number
  readonly withdrawals: number
  readonly transfers: number
  readonly declines: number
  readonly statements: number
}

export const emptyTotals = (): TotalsView => ({
  accounts: 0,
  money: 0,
  events: 0,
  deposits: 0,
  withdrawals: 0,
  transfers: 0,
  declines: 0,
  statements: 0,
})

/** The whole read model as plain maps: what the invariant checker compares with its fold. */
export interface ReadModelContents {
  readonly checkpoint: ProjectionCheckpoint | undefined
  readonly totals: TotalsView
  readonly accounts: ReadonlyMap<string, AccountView>
  readonly lines: ReadonlyMap<string, readonly LineView[]>
  /** By object id. */
  readonly statements: ReadonlyMap<string, StatementView>
}

/** Queries of the read model, each in one read-only snapshot. */
export class ReadModel {
  readonly #db: MvccStore

  constructor(db: MvccStore) {
    this.#db = db
  }

  async account(accountId: string): Promise<AccountView | undefined> {
    return this.#read(async (tx) => (await tx.get(keys.account(accountId))) as AccountView | undefined)
  }

  /** The newest `limit` statement lines of an account, newest first. */
  async lines(accountId: string, limit: number): Promise<LineView[]> {
    return this.#read(async (tx) => {
      const out: LineView[] = []
      for await (const [, value] of tx.scan({ prefix: keys.linePrefix(accountId), reverse: true, limit })) out.push(value as LineView)
      return out
    })
  }

  async totals(): Promise<{ readonly totals: TotalsView; readonly checkpoint: ProjectionCheckpoint | undefined }> {
    return this.#read(async (tx) => ({
      totals: ((await tx.get(keys.totals)) as TotalsView | undefined) ?? emptyTotals(),
      checkpoint: (await tx.get(keys.checkpoint)) as ProjectionCheckpoint | undefined,
    }))
  }

  /** The issued statement whose document is `objectId`. */
  async document(objectId: string): Promise<StatementView | undefined> {
    return this.#read(async (tx) => (await tx.get(keys.document(objectId))) as StatementView | undefined)
  }

  /** Everything, in one snapshot (for the invariant checks). */
  async contents(): Promise<ReadModelContents> {
    return this.#read(async (tx) => {
      const accounts = new Map<string, AccountView>()
      for await (const [, value] of tx.scan({ prefix: 'acct/' })) {
        const view = value as AccountView
        accounts.set(view.accountId, view)
      }
      const lines = new Map<string, LineView[]>()
      for await (const [key, value] of tx.scan({ prefix: 'line/' })) {
        const accountId = key.slice('line/'.length, key.lastIndexOf('/'))
        let list = lines.get(accountId)
        if (list === undefined) lines.set(accountId, (list = []))
        list.push(value as LineView)
      }
      const statements = new Map<string, StatementView>()
      for await (const [, value] of tx.scan({ prefix: 'doc/' })) {
        const view = value as StatementView
        statements.set(view.objectId, view)
      }
      return {
        checkpoint: (await tx.get(keys.checkpoint)) as ProjectionCheckpoint | undefined,
        totals: ((await tx.get(keys.totals)) as TotalsView | undefined) ?? emptyTotals(),
        accounts,
        lines,
        statements,
      }
    })
  }

  async #read<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#db.transaction(fn, { readOnly: true })
  }
}
