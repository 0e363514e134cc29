/** A depot object's state, with gonk's values. */
export const ObjectState = {
  /** Object does not exist. */
  NONEXISTENT: 1,
  /** Object is finalized: readable, never writable again. */
  READABLE: 2,
  /** Object is reserved and being written. */
  WRITABLE: 4,
} as const

/** One of {@link ObjectState}'s values. */
export type ObjectState = (typeof ObjectState)[keyof typeof ObjectState]
