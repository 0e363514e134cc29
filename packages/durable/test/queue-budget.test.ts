import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, OverloadedError } from '@quire/errors'
import { QueueBudget, queueLimitOptions } from '../src/index.js'

describe('QueueBudget', () => {
  it('refuses the operation after maxQueuedOperations wait, with the bound and what waits', () => {
    const budget = new QueueBudget({ maxQueuedOperations: 2, maxQueuedBytes: 1_000 })
    expect(budget.admit(10)).toBeUndefined()
    expect(budget.admit(20)).toBeUndefined()
    const refused = budget.admit(5)
    expect(refused).toBeInstanceOf(OverloadedError)
    expect(refused).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations', max: 2, queuedOperations: 2, queuedBytes: 30 })
    expect(budget.queued).toEqual({ operations: 2, bytes: 30 }) // nothing taken by the refusal
    budget.release(10)
    expect(budget.admit(5)).toBeUndefined()
    expect(budget.queued).toEqual({ operations: 2, bytes: 25 })
  })

  it('refuses once maxQueuedBytes wait, whatever the new size; one bigger than the limit passes an idle budget', () => {
    const budget = new QueueBudget({ maxQueuedOperations: 100, maxQueuedBytes: 50 })
    expect(budget.admit(500)).toBeUndefined()
    expect(budget.refusal()).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 50, queuedOperations: 1, queuedBytes: 500 })
    expect(budget.admit(1)).toMatchObject({ limit: 'maxQueuedBytes' })
    budget.release(500)
    expect(budget.refusal()).toBeUndefined()
    expect(budget.admit(49)).toBeUndefined()
    expect(budget.admit(0)).toBeUndefined() // 49 < 50: still room
    expect(budget.admit(1)).toBeUndefined()
    expect(budget.admit(0)).toMatchObject({ limit: 'maxQueuedBytes', queuedOperations: 3, queuedBytes: 50 })
  })

  it('builds the refusal with the store’s factory', () => {
    class MyOverloaded extends Error {}
    const budget = new QueueBudget({ maxQueuedOperations: 1, maxQueuedBytes: 10 }, (d) => new MyOverloaded(`${d.limit} ${d.max} ${d.queuedOperations} ${d.queuedBytes}`))
    budget.admit(3)
    const refused = budget.refusal()
    expect(refused).toBeInstanceOf(MyOverloaded)
    expect(refused?.message).toBe('maxQueuedOperations 1 1 3')
  })

  it('run releases the room once the work settles, fulfilled or rejected, and never calls refused work', async () => {
    const budget = new QueueBudget({ maxQueuedOperations: 1, maxQueuedBytes: 100 })
    let release!: () => void
    const first = budget.run(7, () => new Promise<string>((resolve) => (release = () => resolve('done'))))
    expect(budget.queued).toEqual({ operations: 1, bytes: 7 })
    let called = false
    await expect(
      budget.run(1, () => {
        called = true
        return Promise.resolve()
      }),
    ).rejects.toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations' })
    expect(called).toBe(false)
    release()
    await expect(first).resolves.toBe('done')
    expect(budget.queued).toEqual({ operations: 0, bytes: 0 })
    await expect(budget.run(3, () => Promise.reject(new Error('disk')))).rejects.toThrow('disk')
    await expect(
      budget.run(3, () => {
        throw new Error('sync throw')
      }),
    ).rejects.toThrow('sync throw')
    expect(budget.queued).toEqual({ operations: 0, bytes: 0 })
  })
})

describe('queueLimitOptions', () => {
  const defaults = { maxQueuedOperations: 8, maxQueuedBytes: 64 }
  it('takes the defaults for undefined and safe integers ≥ 1', () => {
    expect(queueLimitOptions({}, defaults)).toEqual(defaults)
    expect(queueLimitOptions({ maxQueuedOperations: 1, maxQueuedBytes: Number.MAX_SAFE_INTEGER }, defaults)).toEqual({ maxQueuedOperations: 1, maxQueuedBytes: Number.MAX_SAFE_INTEGER })
  })
  it('refuses 0, fractions and non-numbers with INVALID_ARGUMENT naming the option', () => {
    expect(() => queueLimitOptions({ maxQueuedOperations: 0 }, defaults)).toThrow(InvalidArgumentError)
    expect(() => queueLimitOptions({ maxQueuedBytes: 1.5 }, defaults)).toThrow(/maxQueuedBytes/)
    class Mine extends Error {}
    expect(() => queueLimitOptions({ maxQueuedBytes: -1 }, defaults, (m) => new Mine(m))).toThrow(Mine)
  })
})
