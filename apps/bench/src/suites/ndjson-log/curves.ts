import { once } from 'node:events'
import { close, fdatasync, open, write } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { SonicBoom as SonicBoomClass } from 'sonic-boom'
import { NdjsonLog } from '@quire/ndjson-log'
import type { BenchCurve } from '../../curves.js'
import type { BenchContext, PointSubject } from '../../harness.js'
import { concurrencyCurve } from '../../curves/concurrency.js'
import { latencyCurve } from '../../curves/latency.js'
import { event } from './event.js'

// sonic-boom is CommonJS: module.exports is the class itself.
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomClass
const openP = promisify(open)
const fdatasyncP = promisify(fdatasync)
const closeP = promisify(close)
const writeAll = (fd: number, text: string): Promise<void> =>
  new Promise((resolve, reject) => write(fd, text, null, 'utf8', (err) => (err ? reject(err) : resolve())))


/**
 * Durable NDJSON appenders: NdjsonLog sync 'always', pino's sonic-boom in its durable mode
 * (`sync: true, fsync: true`: writeSync + fsyncSync per line, callers queue) and the raw loop
 * (`write` + `fdatasync` through fs callbacks, every caller independent).
 */
async function withAppenders<T>(ctx: BenchContext, tag: string, body: (subjects: PointSubject[]) => Promise<T>): Promise<T> {
  const log = await NdjsonLog.open(join(await ctx.subdir(`quire-${tag}`), 'events.ndjson'), { sync: 'always' })
  const sonic = new SonicBoom({ dest: join(await ctx.subdir(`sonic-${tag}`), 'events.ndjson'), sync: true, fsync: true })
  const fd = await openP(join(await ctx.subdir(`raw-${tag}`), 'events.ndjson'), 'a')
  try {
    return await body([
      { series: "NdjsonLog sync 'always'", op: (i) => log.append(event(i)) },
      {
        series: 'sonic-boom (sync: true, fsync: true)',
        op: (i) => {
          sonic.write(JSON.stringify(event(i)) + '\n')
          return Promise.resolve()
        },
      },
      {
        series: 'raw write + fdatasync per line (fs callbacks)',
        op: async (i) => {
          await writeAll(fd, JSON.stringify(event(i)) + '\n')
          await fdatasyncP(fd)
        },
      },
    ])
  } finally {
    await log.close()
    sonic.end()
    await once(sonic, 'close')
    await closeP(fd)
  }
}

export const ndjsonCurves: Readonly<Record<string, (ctx: BenchContext) => Promise<BenchCurve[]>>> = {
  concurrency: (ctx) =>
    withAppenders(ctx, 'c', async (subjects) => [
      await concurrencyCurve(ctx, 'NDJSON: durable appends of ~170 B events against concurrent appenders', subjects, 'sonic-boom is synchronous here: its callers queue'),
    ]),
  latency: (ctx) => withAppenders(ctx, 'l', async (subjects) => [await latencyCurve(ctx, 'NDJSON: latency of one durable append, 1 at a time', subjects)]),
}
