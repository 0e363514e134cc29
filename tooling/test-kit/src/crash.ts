import type { FileSystem } from '@quire/vfs'
import type { SimFileSystem } from '@quire/vfs/sim'

/**
 * Runs `workload` on `sim` with the power going out after `haltAfterOps` operations, waits for
 * the workload to settle (its operations fail once the power is out), and returns the disk a
 * power loss at that moment could leave, chosen by `seed`.
 */
export async function crashImage(
  sim: SimFileSystem,
  options: { haltAfterOps: number; seed: number; workload: (fs: SimFileSystem) => Promise<void> },
): Promise<SimFileSystem> {
  sim.haltAfter(options.haltAfterOps)
  try {
    await options.workload(sim)
  } catch {
    // the workload was cut off by the halt: expected
  }
  return sim.crash(options.seed)
}

/**
 * Idempotent recovery: recovers a copy of `image` fully (`once`); recovers another copy with the
 * power going out after `haltAfterOps` operations, crashes it (`seed`), and recovers the result
 * (`twice`). A test asserts `twice` equals `once`.
 */
export async function crashDuringRecovery<State>(
  image: SimFileSystem,
  recover: (fs: FileSystem) => Promise<State>,
  options: { seed: number; haltAfterOps: number },
): Promise<{ once: State; twice: State }> {
  const once = await recover(image.clone())
  const interrupted = image.clone()
  interrupted.haltAfter(options.haltAfterOps)
  try {
    await recover(interrupted)
  } catch {
    // cut off by the halt: expected
  }
  const twice = await recover(interrupted.crash(options.seed))
  return { once, twice }
}
