import { crc32 as zlibCrc32 } from 'node:zlib'
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack'
import {
  encodeFrame,
  encodeFrames,
  FRAME_OVERHEAD_BYTES,
  FrameScanner,
  jsonCodec,
  msgpackCodec,
  scanFrames,
} from '@quire/codec'
import { timeSync, type BenchRow, type BenchSuite } from '../harness.js'

// Goals from the foundation issue: scanning 4 KiB frames at >= 1 GB/s and 64 B frames at
// >= 2 M frames/s on one core. Everything here is CPU only (no I/O), single-threaded.
const SCAN_GOAL_FRAMES_PER_S = 2_000_000
const SCAN_GOAL_BYTES_PER_S = 1e9

function payloadOf(bytes: number, seed: number): Uint8Array {
  const payload = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) payload[i] = (i * 131 + seed * 7) & 0xff
  return payload
}

/**
 * Runs `body` once to warm up, then `reps` times; reports `opsPerRep` operations per run.
 * `seconds` is the CPU time of this process (user + system, all its threads, GC included),
 * not wall time: the bench machines are shared, and CPU time is what "on one core" means.
 * On an idle machine it is at least the wall time, so the figures are conservative.
 */
function measure(reps: number, opsPerRep: number, body: () => void): { ops: number; seconds: number } {
  body()
  const before = process.cpuUsage()
  timeSync(reps, body)
  const used = process.cpuUsage(before)
  return { ops: reps * opsPerRep, seconds: (used.user + used.system) / 1e6 }
}

function goalNote(rate: number, goal: number, unit: string): string {
  const met = rate >= goal
  return `goal ≥ ${unit}: ${met ? 'met' : 'NOT met'}`
}

function frameGroups(payloadBytes: number, scale: number): BenchRow[] {
  const label = payloadBytes >= 1024 ? `${payloadBytes / 1024} KiB` : `${payloadBytes} B`
  const frameBytes = payloadBytes + FRAME_OVERHEAD_BYTES
  // ~16 MB of frames per pass, so the data does not sit in L2 and the figures are honest.
  const count = Math.max(1, Math.floor((16 * 1024 * 1024) / frameBytes))
  const payloads = Array.from({ length: 64 }, (_, i) => payloadOf(payloadBytes, i))
  const log = encodeFrames(Array.from({ length: count }, (_, i) => payloads[i % payloads.length]!))
  const reps = Math.max(1, Math.round((payloadBytes >= 1024 ? 20 : 8) * scale))
  const rows: BenchRow[] = []
  let sink = 0

  // Encode: the floor is allocating the frame and copying the payload into it (no CRC).
  const encodeGroup = `encode ${label}`
  const copy = measure(reps, count, () => {
    for (let i = 0; i < count; i++) {
      const out = new Uint8Array(frameBytes)
      out.set(payloads[i % payloads.length]!, 4)
      sink ^= out[4]!
    }
  })
  rows.push({ group: encodeGroup, subject: 'alloc + copy (no CRC)', ...copy, bytes: copy.ops * frameBytes, baseline: true })
  const one = measure(reps, count, () => {
    for (let i = 0; i < count; i++) sink ^= encodeFrame(payloads[i % payloads.length]!)[4]!
  })
  rows.push({ group: encodeGroup, subject: 'encodeFrame', ...one, bytes: one.ops * frameBytes })
  const batch = 256
  const batches = Array.from({ length: Math.ceil(count / batch) }, (_, b) =>
    Array.from({ length: Math.min(batch, count - b * batch) }, (_, i) => payloads[(b * batch + i) % payloads.length]!),
  )
  const many = measure(reps, count, () => {
    for (const list of batches) sink ^= encodeFrames(list)[4]!
  })
  rows.push({ group: encodeGroup, subject: `encodeFrames (${batch} per buffer)`, ...many, bytes: many.ops * frameBytes })

  // Scan: the floor is zlib.crc32 over the same per-frame byte ranges (the CRC work alone).
  const scanGroup = `scan ${label}`
  const crcOnly = measure(reps, count, () => {
    for (let pos = 0; pos < log.length; pos += frameBytes) sink ^= zlibCrc32(log.subarray(pos, pos + 4 + payloadBytes))
  })
  rows.push({ group: scanGroup, subject: 'zlib.crc32 per frame (floor)', ...crcOnly, bytes: crcOnly.ops * frameBytes, baseline: true })
  const whole = measure(reps, count, () => {
    sink ^= zlibCrc32(log)
  })
  rows.push({ group: scanGroup, subject: 'zlib.crc32 whole buffer, 1 call', ...whole, bytes: whole.ops * frameBytes })
  const scanned = measure(reps, count, () => {
    const result = scanFrames(log)
    if (result.status !== 'clean' || result.frames.length !== count) throw new Error('bench: bad scan')
  })
  const scanRate = scanned.ops / scanned.seconds
  rows.push({
    group: scanGroup,
    subject: 'scanFrames',
    ...scanned,
    bytes: scanned.ops * frameBytes,
    note:
      payloadBytes >= 1024
        ? goalNote((scanRate * frameBytes), SCAN_GOAL_BYTES_PER_S, '1 GB/s')
        : goalNote(scanRate, SCAN_GOAL_FRAMES_PER_S, '2 M frames/s'),
  })
  const chunkBytes = 64 * 1024
  const chunked = measure(reps, count, () => {
    const scanner = new FrameScanner()
    let frames = 0
    for (let pos = 0; pos < log.length; pos += chunkBytes) frames += scanner.push(log.subarray(pos, pos + chunkBytes)).length
    if (scanner.finish().status !== 'clean' || frames !== count) throw new Error('bench: bad incremental scan')
  })
  rows.push({ group: scanGroup, subject: 'FrameScanner, 64 KiB chunks', ...chunked, bytes: chunked.ops * frameBytes })
  if (sink === 0.5) console.log(sink) // keeps the work observable
  return rows
}

/** The resync search: a bad frame, then 16 MiB that must all be searched for a good frame. */
function resyncGroup(scale: number): BenchRow[] {
  const tailBytes = 16 * 1024 * 1024
  const reps = Math.max(1, Math.round(2 * scale))
  const withTail = (fill: (tail: Uint8Array) => void): Uint8Array => {
    const bytes = new Uint8Array(8 + tailBytes)
    bytes.set([0xff, 0xff, 0xff, 0xff]) // a length above the limit: bad at offset 0
    fill(bytes.subarray(8))
    return bytes
  }
  const zeros = withTail(() => undefined)
  let seed = 0x9e3779b9
  const garbage = withTail((tail) => {
    for (let i = 0; i < tail.length; i++) {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      tail[i] = seed & 0xff
    }
  })
  const rows: BenchRow[] = []
  let sink = 0
  const crcOnly = measure(reps, 1, () => {
    sink ^= zlibCrc32(garbage)
  })
  rows.push({ group: 'resync 16 MiB tail', subject: 'zlib.crc32 once over it (floor)', ...crcOnly, bytes: crcOnly.ops * tailBytes, baseline: true })
  for (const [name, bytes] of [['zero-filled tail', zeros], ['random garbage tail', garbage]] as const) {
    const result = measure(reps, 1, () => {
      if (scanFrames(bytes).status !== 'torn') throw new Error('bench: expected torn')
    })
    rows.push({ group: 'resync 16 MiB tail', subject: `scanFrames, ${name}`, ...result, bytes: result.ops * tailBytes })
  }
  if (sink === 0.5) console.log(sink)
  return rows
}

function valueGroups(scale: number): BenchRow[] {
  const record = {
    seq: 123456,
    type: 'deposit',
    account: 'acct-000042',
    amountCents: 125_00,
    tags: ['ledger', 'demo'],
    meta: { source: 'bench', retries: 0, ok: true },
  }
  const dated = { ...record, at: new Date(1_700_000_000_000) }
  const count = Math.max(1, Math.round(100_000 * scale))
  const rows: BenchRow[] = []
  let sink = 0
  const add = (group: string, subject: string, body: () => number, baseline = false): void => {
    const result = measure(1, count, () => {
      for (let i = 0; i < count; i++) sink ^= body()
    })
    rows.push({ group, subject, ...result, ...(baseline ? { baseline } : {}) })
  }
  const packed = msgpackCodec.encode(record)
  add('msgpack encode (small record)', '@msgpack/msgpack encode, no validation', () => msgpackEncode(record).length, true)
  add('msgpack encode (small record)', 'msgpackCodec.encode (validates)', () => msgpackCodec.encode(record).length)
  add('msgpack decode (small record)', '@msgpack/msgpack decode', () => (msgpackDecode(packed) === null ? 1 : 0), true)
  add('msgpack decode (small record)', 'msgpackCodec.decode (limits + checks)', () => (msgpackCodec.decode(packed) === null ? 1 : 0))
  const text = JSON.stringify(record)
  add('json encode (small record)', 'JSON.stringify, no validation', () => JSON.stringify(record).length, true)
  add('json encode (small record)', 'jsonCodec.stringify (validates)', () => jsonCodec.stringify(record).length)
  add('json encode (small record)', 'jsonCodec.stringify with a Date', () => jsonCodec.stringify(dated).length)
  add('json decode (small record)', 'JSON.parse', () => (JSON.parse(text) === null ? 1 : 0), true)
  add('json decode (small record)', 'jsonCodec.parse (revives, checks)', () => (jsonCodec.parse(text) === null ? 1 : 0))
  if (sink === 0.5) console.log(sink)
  return rows
}

export const suite: BenchSuite = {
  name: 'codec',
  run(ctx) {
    return Promise.resolve([
      ...frameGroups(64, ctx.scale),
      ...frameGroups(4096, ctx.scale),
      ...resyncGroup(ctx.scale),
      ...valueGroups(ctx.scale),
    ])
  },
}
