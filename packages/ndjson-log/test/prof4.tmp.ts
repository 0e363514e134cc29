import { NdjsonLog } from '@quire/ndjson-log'
import { rmSync } from 'node:fs'
const dir = '/work/ndprof4'
rmSync(dir, { recursive: true, force: true })
const n = 200000
const ev = (i: number) => ({ id: `evt-${i}`, type: 'MoneyDeposited', stream: `account-${i % 1000}`, version: i, timestamp: new Date(1780000000000 + i).toISOString(), data: { amount: i % 1000, currency: 'EUR' } })
const events = Array.from({ length: n }, (_, i) => ev(i))
const mode = process.argv[2] ?? 'always'
const log = await NdjsonLog.open(dir + '/e.ndjson', { sync: mode as 'always' })
let t = performance.now()
let next = 0
const cpu = process.cpuUsage()
await Promise.all(Array.from({ length: 256 }, async () => { while (next < n) await log.append(events[next++]!) }))
const u = process.cpuUsage(cpu)
const wall = performance.now() - t
console.log('append', mode, (n / wall * 1000).toFixed(0), '/s wall;', 'cpu us/op', ((u.user + u.system) / n).toFixed(2), 'user', (u.user/n).toFixed(2), 'wall us/op', (wall * 1000 / n).toFixed(2))
await log.close()
rmSync(dir, { recursive: true, force: true })
