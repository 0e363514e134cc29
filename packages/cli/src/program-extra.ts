import type { Command } from 'commander'
import type { CommandContext, CommonOptions } from './commands/context.js'
import type { ExitCode } from './exit-codes.js'

/** Adds commands to the program (export, import, bench). */
export type AddCommand = (program: Command, ctxOf: (options: CommonOptions) => CommandContext, settle: (code: ExitCode, ctx?: CommandContext) => void) => void

/** The commands registered besides info, verify, dump and repair. */
export const extraCommands: readonly AddCommand[] = []
