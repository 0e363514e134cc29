const TYPES = ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn', 'TransferSent', 'TransferReceived']

/** A small event record, ~170 bytes of JSON, like the reference's NDJSON lines. */
export function event(i: number): Record<string, unknown> {
  return {
    id: `evt-${String(i).padStart(8, '0')}`,
    type: TYPES[i % TYPES.length],
    stream: `account-${String(i % 1000).padStart(4, '0')}`,
    version: i,
    timestamp: new Date(1_780_000_000_000 + i * 37).toISOString(),
    data: { amount: (i * 7919) % 100_000, currency: 'EUR' },
  }
}
