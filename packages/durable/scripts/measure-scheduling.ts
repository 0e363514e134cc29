// Measures the group-commit scheduling policies on the real disk: operations per second and
// operations per group for 1 and 256 writers, with and without fdatasync. Not a test (no timing
// assertion anywhere); the README quotes its output.
//   node --conditions=@quire/source --import tsx scripts/measure-scheduling.ts
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeFileSystem } from '@quire/vfs'
import { DurableAppendFile, GroupCommit, type PendingRequest, type SchedulingPolicy } from '../src/index.js'

const policies: [string, SchedulingPolicy][] = [
  ['microtask, 8 straggler turns (default)', { kind: 'microtask', stragglerTurns: 8 }],
  ['microtask, 0 straggler turns', { kind: 'microtask', stragglerTurns: 0 }],
  ['macrotask (setImmediate)', { kind: 'macrotask' }],
]
const fs = new NodeFileSystem()
const record = new Uint8Array(100).fill(7)

async function measure(policy: SchedulingPolicy, writers: number, total: number, sync: boolean): Promise<{ opsPerSec: number; perGroup: number }> {
  const dir = await mkdtemp(join(process.env.QUIRE_BENCH_DIR ?? tmpdir(), 'quire-sched-'))
  try {
    await fs.writeFile(join(dir, 'log'), new Uint8Array())
    const file = await DurableAppendFile.open(fs, join(dir, 'log'), { end: 0 })
    let groups = 0
    const commit = new GroupCommit<PendingRequest<undefined>>({
      limits: { maxQueuedOperations: 1 << 20, maxQueuedBytes: 1 << 30 },
      poison: file.poison,
      scheduling: policy,
      flush: async (group, c) => {
        groups++
        const buf = new Uint8Array(group.length * record.byteLength)
        for (let i = 0; i < group.length; i++) buf.set(record, i * record.byteLength)
        await file.append(buf, { sync })
        for (const r of group) c.resolve(r, undefined)
      },
    })
    const append = (): Promise<undefined> => {
      const refused = commit.admit(record.byteLength)
      if (refused !== undefined) return Promise.reject(refused)
      return new Promise((resolve, reject) => commit.enqueue({ bytes: record.byteLength, resolve, reject, settled: false }))
    }
    let next = 0
    const started = process.hrtime.bigint()
    await Promise.all(Array.from({ length: writers }, async () => {
      while (next++ < total) await append()
    }))
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    await file.close()
    return { opsPerSec: total / seconds, perGroup: total / groups }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const rows: string[] = ['| policy | writers | fdatasync | ops/s | ops per group |', '|---|---:|---|---:|---:|']
for (const [sync, writers, total] of [[true, 1, 2_000], [true, 256, 50_000], [false, 1, 50_000], [false, 256, 200_000]] as const) {
  for (const [name, policy] of policies) {
    await measure(policy, writers, total, sync) // warm-up: the first policy measured must not pay for the JIT
    const r = await measure(policy, writers, total, sync)
    rows.push(`| ${name} | ${writers} | ${sync ? 'yes' : 'no'} | ${Math.round(r.opsPerSec).toLocaleString('en')} | ${r.perGroup.toFixed(1)} |`)
  }
}
process.stdout.write(rows.join('\n') + '\n')
