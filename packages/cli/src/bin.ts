#!/usr/bin/env node
import { run } from './program.js'

// `quire dump … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

process.exitCode = await run(process.argv.slice(2))
