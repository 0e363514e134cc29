import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { decodeEventFile, encodeEventFile, eventFileBytes } from '../src/event-file.js'
import { contentSizeOf, decodeFooter, encodeTrailer, FOOTER_BYTES, storedLength } from '../src/object-trailer.js'
import { decodePointer, encodePointer, POINTER_FILE_BYTES } from '../src/pointer-file.js'
import { DEPOT_BLOCK_BYTES } from '../src/limits.js'

const arbRecord = fc.record({
  id: fc.uuid({ version: 4 }),
  next: fc.option(fc.uuid({ version: 4 }), { nil: null }),
  eventJson: fc.jsonValue().map((v) => JSON.stringify({ id: 'x', v })),
})

describe('event files', () => {
  it('match FORMAT.md byte for byte', () => {
    const id = '96f76903-7b92-44d1-8e53-fc47a520684c'
    const text = new TextDecoder().decode(encodeEventFile({ id, next: null, eventJson: `{"id":"${id}"}` }))
    expect(text).toMatch(
      /^\{"format":"quire-rk-event\/1","id":"96f76903-7b92-44d1-8e53-fc47a520684c","next":null,"event":\{"id":"96f76903-7b92-44d1-8e53-fc47a520684c"\},"crc32":"[0-9a-f]{8}"\}\n$/,
    )
    expect(JSON.parse(text)).toMatchObject({ format: 'quire-rk-event/1', id, next: null, event: { id } })
  })

  it('round-trip, and their size is known in advance', async () => {
    await checkProperty(
      fc.property(arbRecord, (record) => {
        const bytes = encodeEventFile(record)
        expect(decodeEventFile(bytes)).toEqual(record)
        expect(bytes.byteLength).toBe(eventFileBytes(new TextEncoder().encode(record.eventJson).byteLength, record.next !== null))
      }),
      { numRuns: propertyRuns(200) },
    )
  })

  it('reject any damaged byte, any truncation, any extension', async () => {
    await checkProperty(
      fc.property(arbRecord, fc.nat(), fc.integer({ min: 1, max: 255 }), (record, at, mask) => {
        const bytes = encodeEventFile(record)
        const damaged = bytes.slice()
        damaged[at % bytes.byteLength]! ^= mask
        expect(decodeEventFile(damaged)).toBeUndefined()
        expect(decodeEventFile(bytes.subarray(0, at % bytes.byteLength))).toBeUndefined()
        const longer = new Uint8Array(bytes.byteLength + 1 + (at % 600))
        longer.set(bytes)
        expect(decodeEventFile(longer)).toBeUndefined()
      }),
      { numRuns: propertyRuns(300) },
    )
  })
})

describe('pointer files', () => {
  it('hold the bare UUID on the first line and reject damage', async () => {
    await checkProperty(
      fc.property(fc.uuid({ version: 4 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (id, at, mask) => {
        const bytes = encodePointer(id)
        expect(bytes.byteLength).toBe(POINTER_FILE_BYTES)
        expect(new TextDecoder().decode(bytes).split('\n')[0]).toBe(id)
        expect(decodePointer(bytes)).toBe(id)
        const damaged = bytes.slice()
        damaged[at % bytes.byteLength]! ^= mask
        expect(decodePointer(damaged)).toBeUndefined()
      }),
      { numRuns: propertyRuns(200) },
    )
  })
})

describe('depot trailers', () => {
  it('give back the content size from the file length alone', async () => {
    await checkProperty(
      fc.property(fc.integer({ min: 0, max: 40 * DEPOT_BLOCK_BYTES }), (size) => {
        expect(contentSizeOf(storedLength(size))).toBe(size)
      }),
      { numRuns: propertyRuns(500) },
    )
    for (let size = 0; size < 3 * DEPOT_BLOCK_BYTES + 10; size += 1 + Math.floor(size / 7)) {
      expect(contentSizeOf(storedLength(size))).toBe(size)
    }
    for (const length of [0, 1, FOOTER_BYTES - 1, storedLength(DEPOT_BLOCK_BYTES) + 1]) {
      expect(contentSizeOf(length)).toBeUndefined()
    }
  })

  it('detect a damaged footer', async () => {
    await checkProperty(
      fc.property(fc.integer({ min: 0, max: 10 * DEPOT_BLOCK_BYTES }), fc.nat(FOOTER_BYTES - 1), fc.integer({ min: 1, max: 255 }), (size, at, mask) => {
        const trailer = encodeTrailer(size, Array.from({ length: Math.ceil(size / DEPOT_BLOCK_BYTES) }, (_, i) => i))
        const footer = trailer.subarray(trailer.byteLength - FOOTER_BYTES)
        expect(decodeFooter(footer)).toBe(size)
        const damaged = footer.slice()
        damaged[at]! ^= mask
        expect(decodeFooter(damaged)).toBeUndefined()
      }),
      { numRuns: propertyRuns(300) },
    )
  })
})
