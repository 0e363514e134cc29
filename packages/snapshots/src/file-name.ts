/** Suffix of a snapshot file. */
export const SNAP_SUFFIX = '.snap'
/** Suffix of a save in progress (or left by a crash). */
export const TEMP_SUFFIX = '.snap.tmp'

const SNAP_NAME_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/

/** A snapshot's identity as its file name carries it. */
export interface SnapName {
  readonly name: string
  readonly position: number
  readonly sequence: number
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0')

/** `<position:16 hex>-<sequence:16 hex>.snap`: sorting names sorts by (position, sequence). */
export function snapFileName(position: number, sequence: number): string {
  return `${hex16(position)}-${hex16(sequence)}${SNAP_SUFFIX}`
}

/** Parses a snapshot file name; `undefined` for anything else (temp files, strangers, out-of-range numbers). */
export function parseSnapFileName(name: string): SnapName | undefined {
  const match = SNAP_NAME_PATTERN.exec(name)
  if (match === null) return undefined
  const position = Number.parseInt(match[1]!, 16)
  const sequence = Number.parseInt(match[2]!, 16)
  if (!Number.isSafeInteger(position) || !Number.isSafeInteger(sequence)) return undefined
  return { name, position, sequence }
}

/** Newest first: position descending, then sequence descending. */
export function compareNewestFirst(a: SnapName, b: SnapName): number {
  return b.position - a.position || b.sequence - a.sequence
}
