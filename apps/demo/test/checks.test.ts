import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Command } from '../src/ledger/domain/commands.js'
import { Ledger } from '../src/ledger/ledger.js'
import type { Reply } from '../src/ledger/replies.js'
import type { AckedCommand, Expectations } from '../src/story/checks/expectations.js'
import { checkLedger, type Check } from '../src/story/checks/invariants.js'

// The demo's invariant checks can fail: each is shown a ledger broken in its own way.
const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function bank(faults?: { applyTwice: boolean }): Promise<{ ledger: Ledger; acked: Map<string, AckedCommand> }> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-ledger-checks-'))
  dirs.push(dir)
  const ledger = await Ledger.open({ dir, backend: 'wal', ...(faults === undefined ? {} : { faults }) })
  await ledger.startBackground()
  const acked = new Map<string, AckedCommand>()
  const run = async (key: string, cmd: Command): Promise<Reply> => {
    const reply = await ledger.writeSide.execute(key, cmd)
    const code = typeof reply.body.error === 'string' ? reply.body.error : undefined
    const objectId = typeof reply.body.objectId === 'string' ? reply.body.objectId : undefined
    acked.set(key, { cmd, status: reply.status, ...(code === undefined ? {} : { code }), ...(objectId === undefined ? {} : { objectId }) })
    return reply
  }
  for (const a of ['a', 'b', 'c']) {
    await run(`open-${a}`, { kind: 'open', accountId: a, owner: a.toUpperCase() })
    await run(`fund-${a}`, { kind: 'deposit', accountId: a, amount: 1_000 })
  }
  await Promise.all([
    run('t1', { kind: 'transfer', from: 'a', to: 'b', amount: 300 }),
    run('t2', { kind: 'transfer', from: 'b', to: 'c', amount: 5_000 }),
    run('w1', { kind: 'withdraw', accountId: 'c', amount: 200 }),
    run('s1', { kind: 'statement', accountId: 'a' }),
  ])
  await ledger.caughtUp(10_000)
  return { ledger, acked }
}

const expectations = (acked: Map<string, AckedCommand>): Expectations => ({
  acked,
  refusedKeys: new Set(),
  repeats: { total: 0, different: [] },
  badRequests: { total: 0, wrong: [] },
})

async function failing(ledger: Ledger, exp: Expectations): Promise<string[]> {
  const { checks } = await checkLedger(ledger, exp, { phase: 'caught-up', sameCommitTransfers: true, verifiedDocuments: new Set() })
  return checks.filter((c: Check) => !c.ok).map((c) => c.name)
}

describe('the invariant checks', () => {
  it('all hold on a healthy ledger', async () => {
    const { ledger, acked } = await bank()
    expect(await failing(ledger, expectations(acked))).toEqual([])
    await ledger.close()
  })

  it('catch a projection that applies an event twice', async () => {
    const { ledger, acked } = await bank({ applyTwice: true })
    expect(await failing(ledger, expectations(acked))).toEqual(['read model = fold of the log'])
    await ledger.close()
  })

  it('catch an acknowledged command missing from the log, and a refused key that booked', async () => {
    const { ledger, acked } = await bank()
    acked.set('ghost', { cmd: { kind: 'deposit', accountId: 'a', amount: 5 }, status: 200 })
    expect(await failing(ledger, expectations(acked))).toEqual(['every acknowledged command in the log exactly once'])
    acked.delete('ghost')
    expect(await failing(ledger, { ...expectations(acked), refusedKeys: new Set(['t1']) })).toEqual(['every acknowledged command in the log exactly once'])
    await ledger.close()
  })

  it('catch a statement document that does not read back as issued', async () => {
    const { ledger, acked } = await bank()
    const objectId = acked.get('s1')!.objectId!
    await ledger.depot.purge(objectId)
    await ledger.depot.reserve(objectId, 10)
    await ledger.depot.write(objectId, 0, new TextEncoder().encode('forged!!!!'))
    await ledger.depot.finalize(objectId)
    expect(await failing(ledger, expectations(acked))).toEqual(['finalized documents read back byte for byte'])
    await ledger.close()
  })

  it('catch an audit file that misses events', async () => {
    const { ledger, acked } = await bank()
    // The audit trail and the projection stop; then one more event: they never see it.
    await ledger.audit.stop()
    await ledger.projector.stop()
    await ledger.store.appendToStream('account-a', [{ type: 'Deposited', data: { amount: 1, balance: 701 }, metadata: { key: 'late', command: 'x' } }])
    const names = await failing(ledger, expectations(acked))
    expect(names).toContain('audit file holds each event once')
    expect(names).toContain('read-model checkpoint = log position')
    await ledger.close()
  })

  it('catch money that was invented (a deposit whose recorded balance is not the fold)', async () => {
    const { ledger, acked } = await bank()
    await ledger.store.appendToStream('account-b', [{ type: 'Deposited', data: { amount: 50, balance: 99_999 }, metadata: { key: 'forged', command: 'x' } }])
    await ledger.caughtUp(10_000)
    expect(await failing(ledger, expectations(acked))).toEqual(['no account below zero'])
    await ledger.close()
  })
})
