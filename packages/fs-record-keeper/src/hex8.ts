/** hex8: a crc32 as exactly 8 lower-case hex digits (the text form used in FORMAT.md). */
export function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0')
}
