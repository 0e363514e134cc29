// The ledger of the snapshots scenario, shared by its writer and its checker: state at position p
// is a pure function of p, so a loaded snapshot can be checked against a replay from scratch.

export const LEDGER_KEYS = ['ledger-a', 'ledger-b'] as const
export const ACCOUNTS = 8
export const OPENING_BALANCE = 1_000

export interface Ledger {
  readonly balances: number[]
  /** The last transfers, so that snapshots have some size. */
  readonly recent: { readonly position: number; readonly from: number; readonly to: number; readonly amount: number }[]
}

export function initialLedger(): Ledger {
  return { balances: Array.from({ length: ACCOUNTS }, () => OPENING_BALANCE), recent: [] }
}

/** Transfer number `position` of ledger `key`: deterministic; skipped when the payer is short. */
export function applyTransfer(ledger: Ledger, key: string, position: number): Ledger {
  const h = hash(`${key}:${position}`)
  const from = h % ACCOUNTS
  const to = (from + 1 + ((h >>> 8) % (ACCOUNTS - 1))) % ACCOUNTS
  const amount = 1 + ((h >>> 16) % 300)
  const balances = [...ledger.balances]
  if (balances[from]! < amount) return { balances, recent: ledger.recent }
  balances[from]! -= amount
  balances[to]! += amount
  return { balances, recent: [...ledger.recent, { position, from, to, amount }].slice(-40) }
}

export function replay(key: string, position: number): Ledger {
  let ledger = initialLedger()
  for (let p = 1; p <= position; p++) ledger = applyTransfer(ledger, key, p)
  return ledger
}

function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h
}
