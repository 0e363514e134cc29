import pg from 'pg'

/** PostgreSQL type oids this package reads specially. */
const INT8_OID = 20
const JSON_OID = 114

const parseBigInt = (text: string): bigint => BigInt(text)
const keepText = (text: string): string => text

/**
 * Type parsers for every query this package sends, given per query so that a pool the
 * application passes in keeps its own settings:
 * - `int8` as `bigint`: `pg` returns int8 as a string by default, and `Number` would round
 *   positions above 2^53 (every position is above 2^16 times a transaction id);
 * - `json` as its text, decoded by `@quire/codec`'s `jsonCodec.parse` (which revives Dates);
 * - everything else as `pg` parses it (`timestamptz` as a `Date`).
 */
export const queryTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return parseBigInt
    if (oid === JSON_OID) return keepText
    const parser: unknown = format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text')
    return parser
  }) as pg.CustomTypesConfig['getTypeParser'],
}
