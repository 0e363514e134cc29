import type { EventStoreDriver, StoredSnapshot } from '../driver.js'
import type { Projection } from './definition.js'

/** What a projection keeps in one snapshot: its state and the event it covers up to. */
export interface ProjectionProgress<State> {
  readonly state: State
  /** Position of the last event applied. */
  readonly position: bigint
  /** Id of that event: the snapshot is used only while the log still has it there. */
  readonly eventId: string
}

/** The drivers' part projections use besides reading. */
export type ProjectionSnapshotDriver = Pick<EventStoreDriver, 'loadSnapshot' | 'saveSnapshot' | 'eventAt' | 'headPosition'>

/** Snapshot key of a projection (the driver maps keys to its storage safely). */
export const projectionKey = (name: string): string => `proj:${name}`

/**
 * The projection's last saved progress, or `undefined` (start from `initialState`) when there
 * is none, it cannot be read, it was saved under another `version`, or the log no longer has
 * the event it covers at its position (rewritten log): a snapshot is a cache, never an error.
 * The state is a copy, so folding into it never alters what the driver holds.
 */
export async function loadProgress<State>(driver: ProjectionSnapshotDriver, projection: Projection<State>): Promise<ProjectionProgress<State> | undefined> {
  let snapshot: StoredSnapshot | undefined
  try {
    snapshot = await driver.loadSnapshot(projectionKey(projection.name))
  } catch {
    return undefined
  }
  if (snapshot === undefined || snapshot.schemaVersion !== projection.version) return undefined
  const body = snapshot.state as { eventId?: unknown; state?: unknown } | null
  if (typeof body !== 'object' || body === null || typeof body.eventId !== 'string' || !('state' in body)) return undefined
  const head = await driver.headPosition()
  if (head === undefined || snapshot.position > head) return undefined
  const event = await driver.eventAt(snapshot.position)
  if (event?.id !== body.eventId) return undefined
  return { state: structuredClone(body.state) as State, position: snapshot.position, eventId: body.eventId }
}

/**
 * Saves state + position as one snapshot (so no crash can separate them). The state is copied
 * synchronously, before this returns its promise: later changes to it are not saved under this
 * position.
 */
export function saveProgress<State>(driver: ProjectionSnapshotDriver, projection: Projection<State>, progress: ProjectionProgress<State>): Promise<void> {
  let snapshot: StoredSnapshot
  try {
    snapshot = {
      position: progress.position,
      schemaVersion: projection.version,
      state: { eventId: progress.eventId, state: structuredClone(progress.state) },
    }
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)))
  }
  return driver.saveSnapshot(projectionKey(projection.name), snapshot)
}
