/** lock-order-inversion corpus: a three-lock cycle that never hangs, and its twins. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertComplete, assertSilent, lines, only, runCorpus } from './corpus';

test('three locks taken in a cycle of orders by three threads, one after the other: a lock-order inversion, no deadlock', async () => {
  const run = await runCorpus('lock_cycle.py', ['cycle']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'lock-order-inversion');
  assertComplete(f);
  assert.deepEqual(f.objects.map((o) => o.name), ['a', 'b', 'c']);
  assert.ok(f.objects.every((o) => o.created && o.created.line > 0), 'creation sites');
  assert.equal(f.parties.length, 3);
  assert.equal(f.edges.length, 3, 'one arrow per edge of the cycle');
  assert.deepEqual(lines(f, 'lock_cycle.py'), [27, 28]);
  assert.equal(f.steps?.length, 6);
});

for (const mode of ['gated', 'ordered', 'single']) {
  test(`the same three locks ${mode === 'gated' ? 'under a common gate lock' : mode === 'ordered' ? 'in one order' : 'taken by one thread only'}: no finding`, async () => {
    const run = await runCorpus('lock_cycle.py', [mode]);
    assert.equal(run.exitCode, 0, run.stderr);
    assertSilent(run, mode);
  });
}
