import { CliError } from './cli-error.js'

/** `--from`/`--to` as a non-negative safe integer, or `undefined` when not given. */
export function intArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new CliError('INVALID_ARGUMENT', `${name} must be a whole number ≥ 0, got ${JSON.stringify(value)}`)
  return Number(value)
}

/** `--from`/`--to` as a non-negative bigint (event-store positions), or `undefined`. */
export function bigintArg(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new CliError('INVALID_ARGUMENT', `${name} must be a whole number ≥ 0, got ${JSON.stringify(value)}`)
  return BigInt(value)
}
