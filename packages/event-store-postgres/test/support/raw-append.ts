import { randomUUID } from 'node:crypto'
import type pg from 'pg'

/**
 * Calls the package's own `<schema>.append` function for one stream on `client`, which the
 * caller may have put inside an explicit transaction (`BEGIN`) to hold the append open after its
 * insert: the deliberate late commit of the out-of-order tests. Returns the ids written.
 */
export async function rawAppend(client: pg.ClientBase, schema: string, stream: string, count: number, type = 'late'): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID())
  await client.query(`SELECT * FROM "${schema}".append($1, $2, $3, $4, $5, $6, $7, $8)`, [
    [stream],
    ['-1'],
    [count],
    ids,
    ids.map(() => type),
    ids.map((_, i) => JSON.stringify({ i })),
    ids.map(() => null),
    false,
  ])
  return ids
}
