import { DependencyGraph } from './graph.js'
import type {
  Anomaly,
  AnomalyType,
  CheckResult,
  ConsistencyModel,
  DependencyEdge,
  EdgeType,
  ListAppendTxn,
} from './types.js'

const DATA_ERRORS: readonly AnomalyType[] = ['incompatible-order', 'garbage-read', 'duplicate-append', 'internal']
const READ_COMMITTED: readonly AnomalyType[] = ['G0', 'G1a', 'G1b', 'G1c', ...DATA_ERRORS]
const SI: readonly AnomalyType[] = [...READ_COMMITTED, 'G-single']
const SER: readonly AnomalyType[] = [...SI, 'G2-item']

/** Anomalies each consistency model forbids (the rest are allowed by it). */
export const FORBIDDEN_ANOMALIES: Readonly<Record<ConsistencyModel, readonly AnomalyType[]>> = {
  'strict-serializable': [...SER, 'G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G2-item-realtime'],
  serializable: SER,
  'strong-snapshot-isolation': [...SI, 'G0-realtime', 'G1c-realtime', 'G-single-realtime'],
  'snapshot-isolation': SI,
  'read-committed': READ_COMMITTED,
}

export interface CheckOptions {
  /** The model to check against (default `'serializable'`), or an explicit list of forbidden anomalies. */
  readonly model?: ConsistencyModel
  readonly forbidden?: readonly AnomalyType[]
  /**
   * Add real-time edges from `invokedAt`/`completedAt` (default: on for the strict and strong
   * models, off otherwise).
   */
  readonly realtime?: boolean
}

interface Writer {
  readonly txn: number
  /** Index of this append among the txn's appends to the same key (0-based), and their count. */
  readonly nth: number
}

const WW: ReadonlySet<EdgeType> = new Set(['ww'])
const WW_WR: ReadonlySet<EdgeType> = new Set(['ww', 'wr'])
const ALL: ReadonlySet<EdgeType> = new Set(['ww', 'wr', 'rw'])
const WW_RT: ReadonlySet<EdgeType> = new Set(['ww', 'rt'])
const WW_WR_RT: ReadonlySet<EdgeType> = new Set(['ww', 'wr', 'rt'])
const ALL_RT: ReadonlySet<EdgeType> = new Set(['ww', 'wr', 'rw', 'rt'])

/**
 * Checks a list-append history in the manner of Jepsen's Elle (Kingsbury & Alvaro, VLDB 2020).
 *
 * Every key holds a list; transactions append unique values and read whole lists. Because a
 * read returns the full list, each read reveals the order of every append before it, so the
 * version order of a key is the longest list read (all reads must be prefixes of it). From that:
 * - `ww`: the writer of element i precedes the writer of element i+1;
 * - `wr`: the writer of the last element a transaction read precedes the reader;
 * - `rw`: a reader precedes the writer of the first element it did not see.
 * Only a transaction's external reads (before it appended to that key itself) make edges.
 * Cycles in the graph are found per strongly connected component and named by the worst cycle
 * they contain: G0 (ww only), G1c (ww+wr), G-single (exactly one rw), otherwise G2-item.
 * Failed transactions are not in the graph; `info` ones are, when someone observed their writes.
 */
export function checkListAppend(history: readonly ListAppendTxn[], options: CheckOptions = {}): CheckResult {
  const model = options.model ?? 'serializable'
  const forbidden = new Set(options.forbidden ?? FORBIDDEN_ANOMALIES[model])
  const realtime = options.realtime ?? (model === 'strict-serializable' || model === 'strong-snapshot-isolation')
  const anomalies: Anomaly[] = []

  // Who appended each value, and how many times each txn appended to each key.
  const writers = new Map<string, Map<number, Writer>>()
  const appendCount = new Map<string, number>()
  history.forEach((txn, t) => {
    for (const op of txn.ops) {
      if (op.f !== 'append') continue
      const perKey = writers.get(op.key) ?? new Map<number, Writer>()
      writers.set(op.key, perKey)
      if (perKey.has(op.value)) {
        anomalies.push({
          type: 'duplicate-append',
          message: `value ${op.value} appended to ${op.key} twice (txns ${perKey.get(op.value)!.txn} and ${t})`,
          txns: [perKey.get(op.value)!.txn, t],
        })
        continue
      }
      const countKey = `${t}\u0000${op.key}`
      const nth = appendCount.get(countKey) ?? 0
      appendCount.set(countKey, nth + 1)
      perKey.set(op.value, { txn: t, nth })
    }
  })
  const isLastAppend = (key: string, w: Writer): boolean => appendCount.get(`${w.txn}\u0000${key}`) === w.nth + 1

  // External reads (per txn and key) and internal consistency.
  const externalReads: { txn: number; key: string; list: readonly number[] }[] = []
  const allReads = new Map<string, { txn: number; list: readonly number[] }[]>()
  history.forEach((txn, t) => {
    if (txn.status !== 'ok') return
    const expected = new Map<string, number[] | undefined>()
    const ownAppends = new Map<string, number[]>()
    for (const op of txn.ops) {
      if (op.f === 'append') {
        const list = expected.get(op.key)
        if (list !== undefined) list.push(op.value)
        const own = ownAppends.get(op.key) ?? []
        own.push(op.value)
        ownAppends.set(op.key, own)
        continue
      }
      if (op.value === null) continue
      const reads = allReads.get(op.key) ?? []
      reads.push({ txn: t, list: op.value })
      allReads.set(op.key, reads)
      const known = expected.get(op.key)
      const own = ownAppends.get(op.key)
      if (known !== undefined) {
        if (!sameList(known, op.value)) {
          anomalies.push({
            type: 'internal',
            message: `txn ${t} read ${op.key} = [${op.value.join(' ')}] but its earlier ops imply [${known.join(' ')}]`,
            txns: [t],
          })
        }
      } else if (own !== undefined) {
        if (!endsWith(op.value, own)) {
          anomalies.push({
            type: 'internal',
            message: `txn ${t} read ${op.key} = [${op.value.join(' ')}] without its own appends [${own.join(' ')}] at the end`,
            txns: [t],
          })
        }
      } else {
        externalReads.push({ txn: t, key: op.key, list: op.value })
      }
      expected.set(op.key, [...op.value])
    }
  })

  // Version order per key: the longest read; every read must be a prefix of it.
  const order = new Map<string, readonly number[]>()
  for (const [key, reads] of allReads) {
    let longest: readonly number[] = []
    for (const r of reads) if (r.list.length > longest.length) longest = r.list
    for (const r of reads) {
      if (!isPrefix(r.list, longest)) {
        anomalies.push({
          type: 'incompatible-order',
          message: `reads of ${key} disagree on order: [${r.list.join(' ')}] (txn ${r.txn}) is not a prefix of [${longest.join(' ')}]`,
          txns: [r.txn],
        })
      }
    }
    if (new Set(longest).size !== longest.length) {
      anomalies.push({ type: 'incompatible-order', message: `a read of ${key} holds a value twice: [${longest.join(' ')}]`, txns: [] })
    }
    order.set(key, longest)
    const perKey = writers.get(key)
    for (const r of reads) {
      for (const v of r.list) {
        const w = perKey?.get(v)
        if (w === undefined) {
          anomalies.push({ type: 'garbage-read', message: `txn ${r.txn} read ${v} in ${key}, which nobody appended`, txns: [r.txn] })
        } else if (history[w.txn]!.status === 'fail' && w.txn !== r.txn) {
          anomalies.push({
            type: 'G1a',
            message: `txn ${r.txn} read ${v} in ${key}, appended by txn ${w.txn}, which aborted`,
            txns: [w.txn, r.txn],
          })
        }
      }
    }
  }

  // Intermediate reads: an external read ending in a value that was not its writer's last append.
  for (const r of externalReads) {
    const last = r.list[r.list.length - 1]
    if (last === undefined) continue
    const w = writers.get(r.key)?.get(last)
    if (w !== undefined && w.txn !== r.txn && !isLastAppend(r.key, w)) {
      anomalies.push({
        type: 'G1b',
        message: `txn ${r.txn} read ${r.key} ending in ${last}, an intermediate append of txn ${w.txn}`,
        txns: [w.txn, r.txn],
      })
    }
  }

  // Dependency graph.
  const graph = new DependencyGraph(history.length)
  const committed = (t: number): boolean => history[t]!.status !== 'fail'
  const writerTxn = (key: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined
    const w = writers.get(key)?.get(v)
    return w !== undefined && committed(w.txn) ? w.txn : undefined
  }
  for (const [key, list] of order) {
    for (let i = 0; i + 1 < list.length; i++) {
      const a = writerTxn(key, list[i])
      const b = writerTxn(key, list[i + 1])
      if (a !== undefined && b !== undefined) graph.add({ from: a, to: b, type: 'ww', key })
    }
  }
  for (const r of externalReads) {
    const full = order.get(r.key) ?? []
    const w = writerTxn(r.key, r.list[r.list.length - 1])
    if (w !== undefined) graph.add({ from: w, to: r.txn, type: 'wr', key: r.key })
    if (isPrefix(r.list, full) && r.list.length < full.length) {
      const next = writerTxn(r.key, full[r.list.length])
      if (next !== undefined) graph.add({ from: r.txn, to: next, type: 'rw', key: r.key })
    }
  }

  for (const component of graph.components(ALL)) anomalies.push(classify(graph, new Set(component), WW, WW_WR, ALL, ''))

  if (realtime) {
    // Real time: a transaction that completed (ok) before another was invoked precedes it.
    history.forEach((a, i) => {
      const completedAt = a.completedAt
      if (a.status !== 'ok' || completedAt === undefined) return
      history.forEach((b, j) => {
        if (b.status !== 'fail' && b.invokedAt !== undefined && completedAt < b.invokedAt) {
          graph.add({ from: i, to: j, type: 'rt', key: '' })
        }
      })
    })
    for (const component of graph.components(ALL_RT)) {
      const found = classify(graph, new Set(component), WW_RT, WW_WR_RT, ALL_RT, '-realtime')
      // Cycles without real-time edges were named above.
      if (found.cycle?.some((e) => e.type === 'rt') === true) anomalies.push(found)
    }
  }

  const types = [...new Set(anomalies.map((a) => a.type))].sort()
  const forbiddenFound = types.filter((t) => forbidden.has(t))
  return { valid: forbiddenFound.length === 0, anomalies, types, forbiddenFound, edges: graph.edgeCount }
}

/**
 * Names the worst cycle in one strongly connected component. `ww`, `wwWr` and `all` are the
 * edge sets standing for "write-write", "no anti-dependency" and "any"; `suffix` marks names
 * found with real-time edges.
 */
function classify(
  graph: DependencyGraph,
  component: ReadonlySet<number>,
  ww: ReadonlySet<EdgeType>,
  wwWr: ReadonlySet<EdgeType>,
  all: ReadonlySet<EdgeType>,
  suffix: '' | '-realtime',
): Anomaly {
  const cycleIn = (types: ReadonlySet<EdgeType>): DependencyEdge[] | undefined => {
    for (const sub of graph.components(types, component)) {
      const cycle = graph.cycleThrough(sub[0]!, types, new Set(sub))
      if (cycle !== undefined) return cycle
    }
    return undefined
  }
  const name = (base: 'G0' | 'G1c' | 'G-single' | 'G2-item'): AnomalyType => `${base}${suffix}`
  const g0 = cycleIn(ww)
  if (g0 !== undefined) return cycleAnomaly(name('G0'), g0)
  const g1c = cycleIn(wwWr)
  if (g1c !== undefined) return cycleAnomaly(name('G1c'), g1c)
  for (const v of component) {
    for (const edge of graph.out[v]!) {
      if (edge.type !== 'rw' || !component.has(edge.to)) continue
      const back = graph.path(edge.to, edge.from, wwWr, component)
      if (back !== undefined) return cycleAnomaly(name('G-single'), [edge, ...back])
    }
  }
  const first = component.values().next().value!
  return cycleAnomaly(name('G2-item'), graph.cycleThrough(first, all, component) ?? [])
}

function cycleAnomaly(type: AnomalyType, cycle: DependencyEdge[]): Anomaly {
  const text = cycle.map((e) => `T${e.from} -${e.type}${e.key === '' ? '' : `(${e.key})`}-> T${e.to}`).join(', ')
  return { type, message: `${type} cycle: ${text}`, cycle, txns: cycle.map((e) => e.from) }
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && isPrefix(a, b)
}

function endsWith(list: readonly number[], tail: readonly number[]): boolean {
  if (tail.length > list.length) return false
  const offset = list.length - tail.length
  for (let i = 0; i < tail.length; i++) if (list[offset + i] !== tail[i]) return false
  return true
}
