/** The backends `export --to` and `import` create a new event store with. */
export const TARGET_BACKENDS = ['wal', 'ndjson', 'record-keeper', 'postgres'] as const

/** One of {@link TARGET_BACKENDS}. */
export type TargetBackend = (typeof TARGET_BACKENDS)[number]
