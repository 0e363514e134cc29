export { crc32 } from './crc.js'
export { crc32Range } from './crc-range.js'
export { chunkCrc32, type ChunkCrc32 } from './chunk-crc-wasm.js'
export {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_OVERHEAD_BYTES,
  encodeFrame,
  encodeFrames,
  type FrameOptions,
} from './frame.js'
export {
  scanFrames,
  type ScanEnd,
  type ScanOptions,
  type ScanResult,
  type ScanStatus,
  type ScannedFrame,
} from './scan.js'
export { FrameScanner, type FrameScannerOptions, type FrameSink } from './frame-scanner.js'
export { MAX_VALUE_DEPTH, validateValue, type ValueFormat } from './validate.js'
export type { ValueCodec } from './value-codec.js'
export { msgpackCodec } from './msgpack-codec.js'
export { jsonCodec, type JsonCodec } from './json-codec.js'
export { DecodeError, FrameTooLargeError, InvalidArgumentError, InvalidValueError } from './errors.js'
