import type { DependencyEdge, EdgeType } from './types.js'

/** Adjacency lists of a dependency graph over transactions `0..n-1`. */
export class DependencyGraph {
  readonly out: DependencyEdge[][]
  private count = 0
  private readonly seen = new Set<string>()

  constructor(readonly size: number) {
    this.out = Array.from({ length: size }, () => [])
  }

  get edgeCount(): number {
    return this.count
  }

  add(edge: DependencyEdge): void {
    if (edge.from === edge.to) return
    const id = `${edge.from}|${edge.to}|${edge.type}`
    if (this.seen.has(id)) return
    this.seen.add(id)
    this.out[edge.from]!.push(edge)
    this.count++
  }

  /** Strongly connected components with more than one node (Tarjan, iterative), over `types`. */
  components(types: ReadonlySet<EdgeType>, within?: ReadonlySet<number>): number[][] {
    const index = new Array<number>(this.size).fill(-1)
    const low = new Array<number>(this.size).fill(0)
    const onStack = new Array<boolean>(this.size).fill(false)
    const stack: number[] = []
    const result: number[][] = []
    let counter = 0
    const nodes = within ? [...within] : Array.from({ length: this.size }, (_, i) => i)
    const edgesOf = (v: number): DependencyEdge[] =>
      this.out[v]!.filter((e) => types.has(e.type) && (within === undefined || within.has(e.to)))
    for (const root of nodes) {
      if (index[root] !== -1) continue
      const work: { v: number; edges: DependencyEdge[]; at: number }[] = []
      const enter = (v: number): void => {
        index[v] = low[v] = counter++
        stack.push(v)
        onStack[v] = true
        work.push({ v, edges: edgesOf(v), at: 0 })
      }
      enter(root)
      while (work.length > 0) {
        const frame = work[work.length - 1]!
        if (frame.at < frame.edges.length) {
          const w = frame.edges[frame.at++]!.to
          if (index[w] === -1) enter(w)
          else if (onStack[w]) low[frame.v] = Math.min(low[frame.v]!, index[w]!)
          continue
        }
        work.pop()
        const parent = work[work.length - 1]
        if (parent !== undefined) low[parent.v] = Math.min(low[parent.v]!, low[frame.v]!)
        if (low[frame.v] === index[frame.v]) {
          const component: number[] = []
          let w: number
          do {
            w = stack.pop()!
            onStack[w] = false
            component.push(w)
          } while (w !== frame.v)
          if (component.length > 1) result.push(component)
        }
      }
    }
    return result
  }

  /** Shortest path of edges from `from` to `to` using `types` and staying in `within`, or undefined. */
  path(from: number, to: number, types: ReadonlySet<EdgeType>, within: ReadonlySet<number>): DependencyEdge[] | undefined {
    const via = new Map<number, DependencyEdge>()
    const queue = [from]
    const visited = new Set([from])
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head]!
      for (const edge of this.out[v]!) {
        if (!types.has(edge.type) || !within.has(edge.to) || visited.has(edge.to)) continue
        via.set(edge.to, edge)
        if (edge.to === to) {
          const path: DependencyEdge[] = []
          for (let at = to; at !== from; ) {
            const e = via.get(at)!
            path.unshift(e)
            at = e.from
          }
          return path
        }
        visited.add(edge.to)
        queue.push(edge.to)
      }
    }
    return undefined
  }

  /** A cycle through `start` using `types` inside `within`, or undefined. */
  cycleThrough(start: number, types: ReadonlySet<EdgeType>, within: ReadonlySet<number>): DependencyEdge[] | undefined {
    for (const first of this.out[start]!) {
      if (!types.has(first.type) || !within.has(first.to)) continue
      const rest = this.path(first.to, start, types, within)
      if (rest !== undefined) return [first, ...rest]
    }
    return undefined
  }
}
