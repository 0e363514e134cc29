// Elle across a crash: list-append transactions run concurrently on the simulated disk until
// the power goes out, the store recovers, and a second phase runs and reads every list. The
// whole history (transactions cut off by the crash recorded as outcome unknown) must still be
// valid under the store's isolation level (half of a transaction shows up as an anomaly), and
// the final reads must hold every acknowledged append.
import { describe, expect, it } from 'vitest'
import { arbSeed, checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbListAppendPlans, checkListAppend, ListAppendRecorder, type ListAppendPlan } from '@quire/test-kit'
import { ConflictError, MvccStore } from '../src/index.js'

async function runPlans(db: MvccStore, plans: readonly ListAppendPlan[], recorder: ListAppendRecorder): Promise<void> {
  await Promise.all(
    plans.map(async (plan, i) => {
      for (let y = 0; y < i % 4; y++) await new Promise((resolve) => setImmediate(resolve))
      const rec = recorder.begin()
      try {
        const tx = db.begin()
        for (const op of plan) {
          const list = ((await tx.get(op.key)) as number[] | undefined) ?? []
          if (op.f === 'r') rec.read(op.key, list)
          else {
            await tx.put(op.key, [...list, op.value])
            rec.append(op.key, op.value)
          }
        }
        await tx.commit()
        rec.ok()
      } catch (error) {
        if (error instanceof ConflictError) rec.fail()
        else rec.info()
      }
    }),
  )
}

describe('list-append histories across a crash', () => {
  for (const [isolation, model] of [
    ['snapshot', 'strong-snapshot-isolation'],
    ['serializable', 'strict-serializable'],
  ] as const) {
    it(`stay valid under ${model}`, async () => {
      await checkProperty(
        fc.asyncProperty(arbListAppendPlans({ keys: 3, maxTxns: 24 }), fc.nat({ max: 300 }), arbSeed(), async (plans, haltAfter, seed) => {
          const sim = new SimFileSystem()
          const recorder = new ListAppendRecorder()
          const db = await MvccStore.open('/db', { fs: sim, isolation })
          sim.haltAfter(haltAfter)
          await runPlans(db, plans, recorder)
          await db.close().catch(() => undefined)
          const again = await MvccStore.open('/db', { fs: sim.crash(seed), isolation })
          // Phase two: read every list once more.
          await runPlans(again, [['k0', 'k1', 'k2'].map((key) => ({ f: 'r' as const, key }))], recorder)
          await again.close()
          const result = checkListAppend(recorder.history, { model })
          expect(result.forbiddenFound, result.anomalies.map((a) => a.message).join('\n')).toEqual([])
          // Elle has no real-time edges here, so durability is checked directly: the final
          // read of each list holds every acknowledged append.
          const final = recorder.history.at(-1)!
          expect(final.status).toBe('ok')
          for (const txn of recorder.history.slice(0, -1)) {
            if (txn.status !== 'ok') continue
            for (const op of txn.ops) {
              if (op.f !== 'append') continue
              const read = final.ops.find((o) => o.f === 'r' && o.key === op.key)
              expect(read?.value, `acknowledged append ${op.value} to ${op.key} is gone`).toContain(op.value)
            }
          }
        }),
        { numRuns: propertyRuns(40) },
      )
    })
  }
})
