import { describe, expect, it } from 'vitest'
import { GroupCommit, Poison, type PendingRequest, type SchedulingPolicy } from '../src/index.js'

interface Req extends PendingRequest<number> {
  readonly id: number
}

/** A group commit whose flush records its groups and resolves each request with its id. */
function harness(options: { scheduling?: SchedulingPolicy; take?: (q: readonly Req[]) => number; fail?: (group: Req[]) => Error | undefined; limits?: { maxQueuedOperations: number; maxQueuedBytes: number } } = {}) {
  const groups: number[][] = []
  let inFlight = 0
  let mostInFlight = 0
  const commit = new GroupCommit<Req>({
    limits: options.limits ?? { maxQueuedOperations: 1_000, maxQueuedBytes: 1_000_000 },
    ...(options.scheduling === undefined ? {} : { scheduling: options.scheduling }),
    ...(options.take === undefined ? {} : { take: options.take }),
    flush: async (group, c) => {
      inFlight++
      mostInFlight = Math.max(mostInFlight, inFlight)
      groups.push(group.map((r) => r.id))
      await new Promise((resolve) => setImmediate(resolve))
      inFlight--
      const failure = options.fail?.(group)
      if (failure !== undefined) throw failure
      for (const r of group) c.resolve(r, r.id)
    },
  })
  const submit = (id: number, bytes = 10): Promise<number> => {
    const refused = commit.admit(bytes)
    if (refused !== undefined) return Promise.reject(refused)
    return new Promise<number>((resolve, reject) => commit.enqueue({ id, bytes, resolve, reject, settled: false }))
  }
  return { commit, groups, submit, mostInFlight: () => mostInFlight }
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

describe('GroupCommit', () => {
  it('requests issued in one tick go as one group; one group in flight; order kept', async () => {
    const h = harness()
    const first = await Promise.all([1, 2, 3].map((i) => h.submit(i)))
    expect(first).toEqual([1, 2, 3])
    const p = [4, 5].map((i) => h.submit(i))
    await Promise.resolve()
    const q = [6, 7].map((i) => h.submit(i))
    await Promise.all([...p, ...q])
    expect(h.groups[0]).toEqual([1, 2, 3])
    expect(h.groups.flat()).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(h.mostInFlight()).toBe(1)
    expect(h.commit.queued).toEqual({ operations: 0, bytes: 0 })
  })

  it('what arrives while a group is in flight goes as the next group', async () => {
    const h = harness()
    const a = h.submit(1)
    await turns(3) // group [1] is in flight: its flush waits for a setImmediate
    const rest = [2, 3, 4].map((i) => h.submit(i))
    await Promise.all([a, ...rest])
    expect(h.groups).toEqual([[1], [2, 3, 4]])
  })

  it('take bounds a group', async () => {
    const h = harness({ take: () => 2 })
    await Promise.all([1, 2, 3, 4, 5].map((i) => h.submit(i)))
    expect(h.groups).toEqual([[1, 2], [3, 4], [5]])
  })

  it('refuses with OVERLOADED once maxQueuedOperations or maxQueuedBytes wait; a big request passes an idle queue', async () => {
    const ops = harness({ limits: { maxQueuedOperations: 2, maxQueuedBytes: 1_000 } })
    const settled = await Promise.allSettled([1, 2, 3].map((i) => ops.submit(i)))
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected'])
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations', max: 2, queuedOperations: 2, queuedBytes: 20 })
    const bytes = harness({ limits: { maxQueuedOperations: 100, maxQueuedBytes: 50 } })
    const s2 = await Promise.allSettled([bytes.submit(1, 500), bytes.submit(2, 1)])
    expect(s2.map((s) => s.status)).toEqual(['fulfilled', 'rejected'])
    expect((s2[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes' })
    // Settled requests give their room back.
    await expect(bytes.submit(3, 1)).resolves.toBe(3)
  })

  it('a failing flush poisons: its group, everything queued and every later request reject with the first cause', async () => {
    const eio = Object.assign(new Error('EIO'), { code: 'EIO' })
    const h = harness({ fail: (g) => (g.some((r) => r.id === 1) ? eio : undefined) })
    const a = h.submit(1)
    await turns(3)
    const b = h.submit(2)
    const results = await Promise.allSettled([a, b])
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'POISONED', cause: eio } })
    await expect(h.submit(3)).rejects.toMatchObject({ code: 'POISONED', cause: eio })
    expect(h.commit.poison.poisoned).toBe(true)
    await h.commit.drain()
    expect(h.commit.queued).toEqual({ operations: 0, bytes: 0 })
  })

  it('a poison set elsewhere (the append file) stops the next group', async () => {
    const poison = new Poison()
    let flushed = 0
    let dropped = 0
    const commit = new GroupCommit<Req>({
      limits: { maxQueuedOperations: 10, maxQueuedBytes: 100 },
      poison,
      flush: async (g, c) => {
        flushed++
        for (const r of g) c.resolve(r, r.id)
      },
      onPoison: () => void dropped++,
    })
    expect(commit.admit(1)).toBeUndefined()
    const p = new Promise<number>((resolve, reject) => commit.enqueue({ id: 1, bytes: 1, resolve, reject, settled: false }))
    poison.poison(new Error('sync failed'))
    await expect(p).rejects.toMatchObject({ code: 'POISONED' })
    expect(flushed).toBe(0)
    expect(dropped).toBe(1)
    expect(commit.admit(1)).toBe(poison.error)
  })

  it('drain waits for queued and in-flight groups', async () => {
    const h = harness()
    const done: number[] = []
    for (const i of [1, 2, 3]) void h.submit(i).then((v) => done.push(v))
    await h.commit.drain()
    expect(done.sort()).toEqual([1, 2, 3])
    await h.commit.drain()
  })

  // The scheduling policy, measured in groups (not time): how many flushes N writers cost.
  describe.each([
    { kind: 'microtask', stragglerTurns: 8 } as const,
    { kind: 'microtask', stragglerTurns: 0 } as const,
    { kind: 'macrotask' } as const,
  ])('scheduling %o', (scheduling) => {
    it('256 concurrent writers, 10 operations each, share groups', async () => {
      const h = harness({ scheduling })
      let id = 0
      await Promise.all(Array.from({ length: 256 }, async () => {
        for (let k = 0; k < 10; k++) await h.submit(id++)
      }))
      expect(h.groups.flat()).toHaveLength(2560)
      // One group per round of writers at most, plus the first: group commit, not one flush each.
      expect(h.groups.length).toBeLessThanOrEqual(21)
    })
    it('a single writer in an await loop gets one group per operation and never stalls', async () => {
      const h = harness({ scheduling })
      for (let i = 0; i < 50; i++) await h.submit(i)
      expect(h.groups).toHaveLength(50)
    })
  })
})
