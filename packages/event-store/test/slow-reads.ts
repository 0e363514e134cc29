// A backend whose reads take turns of the event loop, like reads from a disk: the real driver
// underneath, unchanged, with a macrotask before each event and each lookup. Appends acknowledged
// meanwhile land in the middle of a reader's catch-up, which in-memory reads (all microtasks)
// never let happen.
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { EventStoreBackend, EventStoreDriver } from '../src/driver.js'

async function* slowly<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) {
    await nextTurn()
    yield item
  }
}

export function slowReads(backend: EventStoreBackend): EventStoreBackend {
  return {
    name: `${backend.name}+slow-reads`,
    async open(): Promise<EventStoreDriver> {
      const driver = await backend.open()
      return new Proxy(driver, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown
          if (typeof value !== 'function') return value
          const method = value as (...args: unknown[]) => unknown
          if (key === 'readAll' || key === 'readStream') {
            return (...args: unknown[]) => slowly(method.apply(target, args) as AsyncIterable<unknown>)
          }
          if (key === 'loadSnapshot' || key === 'eventAt' || key === 'streamInfo') {
            return async (...args: unknown[]) => {
              await nextTurn()
              return method.apply(target, args)
            }
          }
          return method.bind(target)
        },
      })
    },
  }
}
