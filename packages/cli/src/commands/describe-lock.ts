import type { Colours } from '../io.js'
import type { LockInfo } from '../lock-info.js'
import { formatAge } from './context.js'

/** A lock as one line for a person. */
export function describeLock(lock: LockInfo, c: Colours): string {
  const who = lock.pid === undefined ? 'an unreadable lock file' : `pid ${lock.pid} on ${lock.host ?? '?'}`
  const verdict =
    lock.holder === 'alive'
      ? c.yellow('held by a running process')
      : lock.holder === 'stale'
        ? c.yellow('stale: its holder is gone; the next writable open takes it over')
        : lock.holder === 'other-host'
          ? 'held from another host (cannot be judged from here)'
          : c.yellow('unreadable (torn or foreign)')
  return `${lock.file}: ${who}, ${formatAge(lock.ageMs)} old, ${verdict}`
}
