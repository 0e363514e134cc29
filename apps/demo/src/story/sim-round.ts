import { NodeFileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import type { BackendName } from '../ledger/backends.js'
import { startLedgerServer } from '../ledger/http/server.js'
import { Ledger } from '../ledger/ledger.js'
import type { ProjectionFaults } from '../ledger/projection.js'
import { copyTree } from './copy-tree.js'

/** Where the ledger lives on the simulated disk. */
export const SIM_DATA_DIR = '/ledger'

export interface SimRound {
  /** The disk as the power cut left it: what survived, chosen by the seed. */
  readonly image: SimFileSystem
  /** ms from the start of the in-process service to serving. */
  readonly openMs: number
  /** `performance.now()` when it served, and when the power was cut. */
  readonly servingAt: number
  readonly cutAt: number
  readonly copied: { readonly files: number; readonly bytes: number }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The power-cut round: the same service code (ledger + HTTP API) runs in this process on a
 * `SimFileSystem` holding a copy of the ledger's data, serves the load generator on the same
 * port for `loadMs`, then the power goes out: from that instant no write reaches the disk and
 * no reply leaves (every connection is dropped). The disk image a power loss at that moment
 * could leave — unsynced writes lost or torn, unsynced renames undone — is returned for the
 * checks; the dead service is abandoned.
 */
export async function runSimRound(options: {
  readonly dataDir: string
  readonly backend: BackendName
  readonly port: number
  readonly seed: number
  readonly loadMs: number
  readonly pessimistic: boolean
  readonly faults?: ProjectionFaults
}): Promise<SimRound> {
  const staging = new SimFileSystem({ seed: options.seed, pessimistic: options.pessimistic })
  const copied = await copyTree(new NodeFileSystem(), options.dataDir, staging, SIM_DATA_DIR)
  // Everything copied is durable, as it is on the real disk it came from.
  const disk = staging.clone()
  const started = performance.now()
  const ledger = await Ledger.open({ dir: SIM_DATA_DIR, backend: options.backend, fs: disk, ...(options.faults === undefined ? {} : { faults: options.faults }) })
  await ledger.startBackground()
  const server = await startLedgerServer(ledger, { port: options.port })
  const servingAt = performance.now()
  await sleep(options.loadMs)
  disk.haltAfter(0)
  server.cut()
  const cutAt = performance.now()
  const image = disk.crash(options.seed)
  // The dead service's handles fail from now on; nothing of it is awaited or trusted.
  void ledger.abandon().catch(() => undefined)
  return { image, openMs: servingAt - started, servingAt, cutAt, copied }
}
