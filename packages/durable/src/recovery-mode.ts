/**
 * What a log's `open` does with damage in the middle (a torn tail a crash leaves is always cut,
 * in every mode, and reported):
 * - `'strict'` (the default everywhere): refuse to open, with a `CORRUPT` error naming where;
 * - `'point-in-time'`: keep everything before the damage, remove everything after it (the removed
 *   bytes are kept in a quarantine file first) and report it;
 * - `'skip-corrupt'`: skip the damaged records (and any batch they break), keep the rest, report
 *   what was skipped; the bad bytes stay where they are.
 *
 * The vocabulary is etcd's and RocksDB's (`WALRecoveryMode`: kPointInTimeRecovery,
 * kSkipAnyCorruptedRecords), shared by the WAL and the NDJSON log.
 */
export type RecoveryMode = 'strict' | 'point-in-time' | 'skip-corrupt'

/** The three {@link RecoveryMode}s, for option validation (`oneOfOption('recovery', v, RECOVERY_MODES, 'strict')`). */
export const RECOVERY_MODES: readonly RecoveryMode[] = ['strict', 'point-in-time', 'skip-corrupt']

/**
 * What recovery did to a range of bytes; every log reports its actions with these words:
 * - `'cut-torn-tail'`: an incomplete last record, or a batch without its commit, at the end;
 * - `'removed-torn-segment'`: a file a crash interrupted while it was being created;
 * - `'removed-truncated-segment'`: a file wholly below a truncation the log had acknowledged;
 * - `'cut-corrupt'`: damage in the middle, cut under `'point-in-time'`;
 * - `'removed-after-corruption'`: a file after that damage, removed under `'point-in-time'`;
 * - `'skipped-corrupt'`: damage skipped under `'skip-corrupt'` (the bytes stay).
 */
export type RecoveryActionKind =
  | 'cut-torn-tail'
  | 'removed-torn-segment'
  | 'removed-truncated-segment'
  | 'cut-corrupt'
  | 'removed-after-corruption'
  | 'skipped-corrupt'
