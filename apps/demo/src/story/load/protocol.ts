import type { Command } from '../../ledger/domain/commands.js'

/**
 * What the load generator tells the demo, one JSON object per stdout line. Only definitive
 * replies are reported; a command whose reply never came (the service died, the client gave
 * up at the end) is left out: it may or may not be in the log, and both are right.
 */
export type LoadMessage =
  /** Every account is open and funded; the mix starts. */
  | { readonly t: 'ready'; readonly accounts: number }
  /** A command got a definitive reply. `again`: an exact repeat of an acknowledged key. */
  | {
      readonly t: 'cmd'
      readonly key: string
      readonly cmd: Command
      readonly status: number
      readonly code?: string
      readonly replay: boolean
      readonly again: boolean
      /** Position of the event the reply names (commands that booked one). */
      readonly position?: number
      /** The depot object of an issued statement. */
      readonly objectId?: string
    }
  /** A deliberately bad request and its reply; `ok` when the status was one of `expected`. */
  | { readonly t: 'bad'; readonly key: string; readonly kind: string; readonly status: number; readonly expected: readonly number[]; readonly ok: boolean }
  /** Counters since the previous tick (every 250 ms). */
  | { readonly t: 'tick'; readonly reads: number; readonly readFailures: number; readonly shed: number; readonly retries: number; readonly timeouts: number }
  /** The generator stopped; `unknown`: commands sent whose outcome it never learned. */
  | { readonly t: 'done'; readonly unknown: number }

export const encodeMessage = (message: LoadMessage): string => `${JSON.stringify(message)}\n`
