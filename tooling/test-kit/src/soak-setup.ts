// The setup file `pnpm soak` gives vitest (tooling/scripts/soak.vitest.config.mjs): it counts the
// crash images the simulator makes and the SIGKILLs tests send, and when the test file ends writes
// this worker's tally (soak-tally.ts) to QUIRE_SOAK_TALLY_DIR for the soak's table.
import { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, expect } from 'vitest'
import { soakTally } from './soak-tally.js'

const tally = soakTally()

// Wrapped by name (Reflect), so that the originals run with the instance they were called on.
const sim = SimFileSystem.prototype
const crash = Reflect.get(sim, 'crash')
sim.crash = function (this: SimFileSystem, ...args: Parameters<SimFileSystem['crash']>) {
  tally.crashImages++
  return crash.apply(this, args)
}
const crashImages = Reflect.get(sim, 'crashImages')
sim.crashImages = function (this: SimFileSystem, ...args: Parameters<SimFileSystem['crashImages']>) {
  const images = crashImages.apply(this, args)
  tally.crashImages += images.length
  return images
}

const kill = Reflect.get(ChildProcess.prototype, 'kill')
ChildProcess.prototype.kill = function (this: ChildProcess, signal?: NodeJS.Signals | number) {
  const sent = kill.call(this, signal)
  if (sent && (signal === 'SIGKILL' || signal === 9)) tally.kills++
  return sent
}
const processKill = process.kill.bind(process)
process.kill = (pid: number, signal?: string | number): true => {
  const sent = processKill(pid, signal)
  if (signal === 'SIGKILL' || signal === 9) tally.kills++
  return sent
}

afterAll(() => {
  const dir = process.env.QUIRE_SOAK_TALLY_DIR
  if (dir === undefined) return
  mkdirSync(dir, { recursive: true })
  const file = expect.getState().testPath ?? 'unknown'
  writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify({ file, ...tally }))
  // The counters of the next test file in this worker start from zero.
  tally.properties = 0
  tally.runs = 0
  tally.crashImages = 0
  tally.kills = 0
  tally.ackedChecked = 0
  tally.failures.length = 0
})
