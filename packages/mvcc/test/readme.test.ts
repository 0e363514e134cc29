// The README example, run as a test (on the simulated disk instead of a real directory).
import { expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { ConflictError, MvccStore } from '../src/index.js'

it('README example', async () => {
  const fs = new SimFileSystem()
  const log: string[] = []
  const console = { log: (...args: unknown[]) => log.push(args.map(String).join(' ')) }

  // --- README example start ---
  const db = await MvccStore.open('/data/bank', { fs /* omit fs for the real disk */ })

  // One transaction: reads see the snapshot taken at begin(), writes are private until commit.
  await db.transaction(async (tx) => {
    await tx.put('account/alice', 100)
    await tx.put('account/bob', 50)
  })

  // A transfer; db.transaction retries it from a fresh snapshot on ConflictError.
  await db.transaction(async (tx) => {
    const alice = (await tx.get('account/alice')) as number
    const bob = (await tx.get('account/bob')) as number
    await tx.put('account/alice', alice - 30)
    await tx.put('account/bob', bob + 30)
  })

  // Two concurrent writers of one key: the first committer wins.
  const t1 = db.begin()
  const t2 = db.begin()
  await t1.put('account/alice', 0)
  await t2.put('account/alice', 1)
  await t1.commit()
  try {
    await t2.commit()
  } catch (err) {
    if (err instanceof ConflictError) console.log('conflict on', err.key)
  }

  // A consistent scan, in UTF-8 byte order.
  const reader = db.begin({ readOnly: true })
  for await (const [key, value] of reader.scan({ prefix: 'account/' })) console.log(key, value)
  await reader.commit()

  await db.checkpoint() // snapshot of the committed state, then the WAL is truncated
  await db.close()
  // --- README example end ---

  expect(log).toEqual(['conflict on account/alice', 'account/alice 0', 'account/bob 80'])
})
