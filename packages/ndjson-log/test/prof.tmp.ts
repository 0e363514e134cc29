import { NdjsonLog } from '@quire/ndjson-log'
import { rmSync } from 'node:fs'
const dir = '/work/ndprof'
rmSync(dir, { recursive: true, force: true })
const n = 100000
const ev = (i: number) => ({ id: `evt-${i}`, type: 'MoneyDeposited', stream: `account-${i % 1000}`, version: i, timestamp: new Date(1780000000000 + i).toISOString(), data: { amount: i % 1000, currency: 'EUR' } })
const events = Array.from({ length: n }, (_, i) => ev(i))
const mode = process.argv[2] ?? 'always'
const log = await NdjsonLog.open(dir + '/e.ndjson', { sync: mode as 'always' })
let t = performance.now()
let next = 0
await Promise.all(Array.from({ length: 256 }, async () => { while (next < n) await log.append(events[next++]!) }))
console.log('append', mode, (n / (performance.now() - t) * 1000).toFixed(0))
t = performance.now()
let c = 0
for await (const e of log.read()) c += e.seq > 0 ? 1 : 0
console.log('read', (c / (performance.now() - t) * 1000).toFixed(0))
await log.close()
rmSync(dir, { recursive: true, force: true })
