/** What `quire bench` measures. */
export const BENCH_KINDS = ['wal', 'ndjson-log', 'event-store', 'mvcc', 'record-keeper'] as const
