import { InvalidValueError, jsonCodec } from '@quire/codec'
import { InvalidRecordError } from './errors.js'

/**
 * Validates and serializes a record: its JSON text and that text's UTF-8 length. `path` names the
 * record in errors (`record`, `records[3]`).
 *
 * @throws `InvalidRecordError` for a value that is not a plain JSON object, that JSON cannot keep,
 *   or whose JSON is longer than `maxRecordBytes`.
 */
export function serializeRecord(record: unknown, path: string, maxRecordBytes: number): [string, number] {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InvalidRecordError(path, 'a record must be a JSON object')
  }
  if (record instanceof Date) throw new InvalidRecordError(path, 'a record must be a JSON object, not a Date')
  let text: string
  try {
    text = jsonCodec.stringify(record)
  } catch (err) {
    if (err instanceof InvalidValueError) {
      const inner = err.path === '' ? '' : err.path.startsWith('[') ? err.path : `.${err.path}`
      throw new InvalidRecordError(`${path}${inner}`, err.message.replace(/^Invalid value at [^:]*: /, ''), { cause: err })
    }
    throw err
  }
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > maxRecordBytes) {
    throw new InvalidRecordError(path, `${bytes} bytes of JSON exceed maxRecordBytes (${maxRecordBytes})`)
  }
  return [text, bytes]
}
