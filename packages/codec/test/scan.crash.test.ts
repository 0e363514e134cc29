import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { encodeFrames, scanFrames } from '@quire/codec'
import { arbPayload } from './helpers.js'

// The crash model of DESIGN.md, applied to an append-only frame log written in batches (one
// write per batch, some batches followed by a sync): after a power loss the file holds the
// synced bytes, a prefix of the later appends, and the next append either vanished, torn at a
// 512-byte sector boundary, or left as zeros / garbage (the size grew, the data did not).
// The scanner must then say 'clean' or 'torn' (never 'corrupt'), return every synced frame and
// only frames that were written, and recovery (truncate to `end`, append) must end clean.

const SECTOR_BYTES = 512

interface Batch {
  readonly payloads: Uint8Array[]
  readonly synced: boolean
}

const arbBatches = fc.array(
  fc.record({ payloads: fc.array(arbPayload(700), { minLength: 1, maxLength: 6 }), synced: fc.boolean() }),
  { minLength: 1, maxLength: 10 },
)

const arbLoss = fc.record({
  survivingPending: fc.nat(),
  mode: fc.constantFrom('vanished', 'torn', 'zeros', 'garbage'),
  keptSectors: fc.nat(),
  garbageSeed: fc.integer({ min: 1, max: 255 }),
})

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let pos = 0
  for (const part of parts) {
    out.set(part, pos)
    pos += part.length
  }
  return out
}

describe('scanFrames under the crash model', () => {
  it('a crashed append-only log reads clean or torn, with every synced frame, and recovers clean', async () => {
    await checkProperty(
      fc.property(arbBatches, arbLoss, (batches: Batch[], loss) => {
        const writes = batches.map((b) => encodeFrames(b.payloads))
        const lastSynced = batches.map((b) => b.synced).lastIndexOf(true)
        const pending = writes.length - 1 - lastSynced
        const surviving = lastSynced + 1 + (loss.survivingPending % (pending + 1))
        const parts = writes.slice(0, surviving)
        const lost = writes[surviving]
        if (lost !== undefined) {
          const position = parts.reduce((n, p) => n + p.length, 0)
          if (loss.mode === 'torn') {
            const firstSector = Math.floor(position / SECTOR_BYTES)
            const sectors = Math.floor((position + lost.length - 1) / SECTOR_BYTES) - firstSector + 1
            if (sectors >= 2) {
              const kept = (firstSector + 1 + (loss.keptSectors % (sectors - 1))) * SECTOR_BYTES - position
              parts.push(lost.subarray(0, kept))
            }
          } else if (loss.mode !== 'vanished') {
            const filler = new Uint8Array(lost.length)
            if (loss.mode === 'garbage') for (let i = 0; i < filler.length; i++) filler[i] = (i * 73 + loss.garbageSeed * 151) & 0xff
            parts.push(filler)
          }
        }
        const image = concat(parts)
        const written = batches.flatMap((b) => b.payloads)
        const synced = batches.slice(0, lastSynced + 1).flatMap((b) => b.payloads)

        const result = scanFrames(image)
        expect(result.status).not.toBe('corrupt')
        expect(result.frames.length).toBeGreaterThanOrEqual(synced.length)
        result.frames.forEach((frame, i) => expect([...frame.payload]).toEqual([...written[i]!]))
        expect(result.status === 'clean').toBe(result.end === image.length)

        // Recovery: cut the torn tail, append, and the log reads clean with everything.
        const more = [new Uint8Array([1, 2, 3]), new Uint8Array(0)]
        const recovered = concat([image.subarray(0, result.end), encodeFrames(more)])
        const again = scanFrames(recovered)
        expect(again.status).toBe('clean')
        expect(again.frames.length).toBe(result.frames.length + more.length)
      }),
      { numRuns: propertyRuns(300) },
    )
  })
})
