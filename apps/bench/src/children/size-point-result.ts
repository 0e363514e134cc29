/** What `children/size-point.ts` prints: one size of a size curve, Quire and its peer. */
export interface SizePoint {
  /** Entries the Quire store held once open, before the timed writes (keys for MVCC, the last position for the event store). */
  readonly entries: number
  readonly open: {
    /** Wall time of the Quire store's open (its recovery), fresh process, page cache warm. */
    readonly seconds: number
    /** `heapUsed` after the open minus before, both after two forced GCs. */
    readonly heapBytes: number
    /** Likewise for `external` (Buffers and other memory outside the JS heap). */
    readonly externalBytes: number
  }
  /** Wall time of the peer's open plus one read of what it holds. */
  readonly peerOpenSeconds: number
  /** ops/s of each series under the suite's durable writers. */
  readonly rates: Readonly<Record<string, number>>
  /** Entries each series' timed writes added to its store, where they grow it. */
  readonly added: Readonly<Record<string, number>>
}
