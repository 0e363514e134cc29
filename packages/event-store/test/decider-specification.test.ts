// DeciderSpecification (@quire/event-store/testing): given / when / then over a decider, sync and
// async; each check must fail when the decider does something else.
import { AssertionError } from 'node:assert/strict'
import { describe, expect, it } from 'vitest'
import { DeciderSpecification } from '../src/testing/index.js'

type Event = { type: 'Opened' } | { type: 'Deposited'; amount: number } | { type: 'Closed' }
type Command = { type: 'Deposit'; amount: number } | { type: 'Close' } | { type: 'Noop' }
interface State {
  status: 'new' | 'open' | 'closed'
  balance: number
}

class AccountClosedError extends Error {}

const evolve = (s: State, e: Event): State =>
  e.type === 'Opened' ? { ...s, status: 'open' } : e.type === 'Deposited' ? { ...s, balance: s.balance + e.amount } : { ...s, status: 'closed' }
const initialState = (): State => ({ status: 'new', balance: 0 })
const decide = (c: Command, s: State): Event | Event[] => {
  if (s.status === 'closed') throw new AccountClosedError('account is closed')
  if (c.type === 'Deposit') return { type: 'Deposited', amount: c.amount }
  if (c.type === 'Close') return [{ type: 'Closed' }]
  return []
}

const given = DeciderSpecification.for({ decide, evolve, initialState })
const givenAsync = DeciderSpecification.for({ decide: async (c: Command, s: State) => decide(c, s), evolve, initialState })

describe('DeciderSpecification', () => {
  it('then: passes on the expected events, fails on others', () => {
    given([{ type: 'Opened' }]).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', amount: 5 })
    given([{ type: 'Opened' }]).when({ type: 'Close' }).then([{ type: 'Closed' }])
    expect(() => given([{ type: 'Opened' }]).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', amount: 6 })).toThrow(AssertionError)
    expect(() => given([]).when({ type: 'Close' }).then([])).toThrow(AssertionError)
    // decide threw: then() fails and says so.
    expect(() => given([{ type: 'Closed' }]).when({ type: 'Close' }).then([{ type: 'Closed' }])).toThrow(/decide threw/)
  })

  it('thenNothingHappened: passes on no events, fails otherwise', () => {
    given([]).when({ type: 'Noop' }).thenNothingHappened()
    expect(() => given([]).when({ type: 'Close' }).thenNothingHappened()).toThrow(AssertionError)
  })

  it('thenThrows: with nothing, a predicate, a class, or a class and a predicate', () => {
    const closed = given([{ type: 'Opened' }, { type: 'Closed' }]).when({ type: 'Deposit', amount: 1 })
    closed.thenThrows()
    closed.thenThrows((e: Error) => e.message === 'account is closed')
    closed.thenThrows(AccountClosedError)
    closed.thenThrows(Error)
    closed.thenThrows(AccountClosedError, (e) => e.message.includes('closed'))
    expect(() => closed.thenThrows((e: Error) => e.message === 'other')).toThrow(AssertionError)
    expect(() => closed.thenThrows(TypeError)).toThrow(AssertionError)
    expect(() => closed.thenThrows(AccountClosedError, () => false)).toThrow(AssertionError)
    expect(() => given([]).when({ type: 'Noop' }).thenThrows()).toThrow(/did not throw/)
  })

  it('the given events are folded from initialState for each check', () => {
    const spec = given([{ type: 'Opened' }, { type: 'Deposited', amount: 3 }])
    spec.when({ type: 'Deposit', amount: 1 }).then({ type: 'Deposited', amount: 1 })
    spec.when({ type: 'Close' }).then({ type: 'Closed' })
  })

  it('an async decide gives checks that return promises, failing the same way', async () => {
    await givenAsync([]).when({ type: 'Deposit', amount: 2 }).then({ type: 'Deposited', amount: 2 })
    await givenAsync([]).when({ type: 'Noop' }).thenNothingHappened()
    await givenAsync([{ type: 'Closed' }]).when({ type: 'Noop' }).thenThrows(AccountClosedError)
    await expect(givenAsync([]).when({ type: 'Deposit', amount: 2 }).then([])).rejects.toThrow(AssertionError)
    await expect(givenAsync([]).when({ type: 'Noop' }).thenThrows()).rejects.toThrow(AssertionError)
  })
})
