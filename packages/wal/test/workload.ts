import { fc } from '@quire/test-kit'
import type { WalOp } from '../src/index.js'

/** One step of a generated workload; the steps of a wave run concurrently. */
export type Step =
  | { readonly kind: 'append'; readonly op: WalOp }
  | { readonly kind: 'batch'; readonly ops: WalOp[] }
  | { readonly kind: 'truncate'; readonly fraction: number }

/** How a crash property's workload is drawn: sizes, and the weight of each kind of step. */
export interface WorkloadShape {
  readonly keyBytes: number
  readonly valueBytes: number
  readonly weights: { readonly append: number; readonly batch: number; readonly truncate: number }
  /** Draw `truncateBefore(lastSeq)` (fraction 1) often: that is when it rolls the active segment first. */
  readonly truncateAtEnd: boolean
  readonly maxWaveSteps: number
}

const arbBytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 0, maxLength: max })

/** Waves (1 to 8) of concurrent steps: appends, batches of 1 to 6 ops, truncations. */
export function arbWorkload(shape: WorkloadShape): fc.Arbitrary<Step[][]> {
  const arbOp: fc.Arbitrary<WalOp> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), key: arbBytes(shape.keyBytes), value: arbBytes(shape.valueBytes) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key: arbBytes(shape.keyBytes) }) },
  )
  const fraction = fc.nat(100).map((percent) => percent / 100)
  const arbStep: fc.Arbitrary<Step> = fc.oneof(
    { weight: shape.weights.append, arbitrary: arbOp.map((op) => ({ kind: 'append' as const, op })) },
    { weight: shape.weights.batch, arbitrary: fc.array(arbOp, { minLength: 1, maxLength: 6 }).map((ops) => ({ kind: 'batch' as const, ops })) },
    {
      weight: shape.weights.truncate,
      arbitrary: (shape.truncateAtEnd ? fc.oneof(fraction, fc.constant(1)) : fraction).map((f) => ({ kind: 'truncate' as const, fraction: f })),
    },
  )
  return fc.array(fc.array(arbStep, { minLength: 1, maxLength: shape.maxWaveSteps }), { minLength: 1, maxLength: 8 })
}
