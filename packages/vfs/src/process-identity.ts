import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'

/** Who holds a lock: enough to tell a live holder from a new process that got its pid. */
export interface ProcessIdentity {
  readonly pid: number
  readonly host: string
  /** Linux: the process's start time, in clock ticks since boot (`/proc/<pid>/stat`, field 22). */
  readonly startTicks?: string
  /** Linux: the kernel's boot id; another one means the machine rebooted since. */
  readonly bootId?: string
}

let self: Promise<ProcessIdentity> | undefined

/** This process's identity (read once). */
export function thisProcess(): Promise<ProcessIdentity> {
  self ??= (async () => {
    const startTicks = await processStartTicks(process.pid)
    const bootId = await readBootId()
    return {
      pid: process.pid,
      host: hostname(),
      ...(typeof startTicks === 'string' ? { startTicks } : {}),
      ...(bootId === undefined ? {} : { bootId }),
    }
  })()
  return self
}

/**
 * The start time of process `pid` on this host: a string of clock ticks since boot on Linux,
 * `undefined` when the process exists but its start time cannot be read (no `/proc`), `null`
 * when there is no such process.
 */
export async function processStartTicks(pid: number): Promise<string | undefined | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1')
    // Field 2 (the command) is in parentheses and may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = fields[19] // field 22 overall
    if (ticks !== undefined && /^\d+$/.test(ticks)) return ticks
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT' && (await hasProcFs())) return null
  }
  return isAlive(pid) ? undefined : null
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM'
  }
}

let procFs: Promise<boolean> | undefined
function hasProcFs(): Promise<boolean> {
  procFs ??= readFile('/proc/self/stat', 'latin1').then(
    () => true,
    () => false,
  )
  return procFs
}

async function readBootId(): Promise<string | undefined> {
  try {
    const id = (await readFile('/proc/sys/kernel/random/boot_id', 'latin1')).trim()
    return id.length > 0 ? id : undefined
  } catch {
    return undefined
  }
}

/** "process 1234 on host h" for messages. */
export function describeProcess(p: ProcessIdentity): string {
  return `process ${p.pid} on host ${p.host}`
}
