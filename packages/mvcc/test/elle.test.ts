// Random concurrent list-append transactions, checked with the Elle-style checker: snapshot
// isolation must show no G0, G1 or G-single; serializable must show no cycle at all. With
// real-time edges (a transaction begun after another's commit resolved must see it): strong
// snapshot isolation and strict serializability.
import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { arbListAppendPlans, checkListAppend, ListAppendRecorder, type ListAppendPlan } from '@quire/test-kit'
import { ConflictError } from '../src/errors.js'
import type { IsolationLevel } from '../src/engine.js'
import { backends } from './backends.js'
import type { TestDb } from './helpers.js'

/** Yields to the event loop `n` times, so concurrent transactions interleave. */
async function yieldTimes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

async function runPlans(db: TestDb, plans: readonly ListAppendPlan[], delays: readonly number[]): Promise<ListAppendRecorder> {
  const recorder = new ListAppendRecorder()
  let d = 0
  const delay = (): Promise<void> => yieldTimes(delays[d++ % delays.length]!)
  await Promise.all(
    plans.map(async (plan) => {
      await delay()
      const rec = recorder.begin()
      const tx = db.begin()
      try {
        for (const op of plan) {
          await delay()
          const list = ((await tx.get(op.key)) as number[] | undefined) ?? []
          if (op.f === 'r') rec.read(op.key, list)
          else {
            await tx.put(op.key, [...list, op.value])
            rec.append(op.key, op.value)
          }
        }
        await delay()
        await tx.commit()
        rec.ok()
      } catch (error) {
        if (error instanceof ConflictError) rec.fail()
        else rec.info()
      }
    }),
  )
  return recorder
}

for (const backend of backends) {
  for (const [level, model] of [
    ['snapshot', 'strong-snapshot-isolation'],
    ['serializable', 'strict-serializable'],
  ] as const satisfies readonly (readonly [IsolationLevel, string])[]) {
    describe(`list-append histories, ${backend.name}, '${level}'`, () => {
      it(`are valid under ${model}`, async () => {
        let committed = 0
        await checkProperty(
          fc.asyncProperty(
            arbListAppendPlans({ keys: 3, maxTxns: 30 }),
            fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 16 }),
            async (plans, delays) => {
              const db = await backend.open(level)
              try {
                const recorder = await runPlans(db, plans, delays)
                const result = checkListAppend(recorder.history, { model })
                expect(result.forbiddenFound, result.anomalies.map((a) => a.message).join('\n')).toEqual([])
                committed += recorder.history.filter((t) => t.status === 'ok').length
              } finally {
                await db.close()
              }
            },
          ),
          { numRuns: propertyRuns(60) },
        )
        expect(committed).toBeGreaterThan(0)
      })
    })
  }
}
