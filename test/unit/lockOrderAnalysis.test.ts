/** Lock-order inversion on synthetic traces: cycles of any length, gate locks, one thread, threads that never met. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { MS, Trace } from './analysisTrace';

/** Thread i takes locks[i] then locks[(i+1) % n], one thread after the other (the run never hangs). */
function ring(n: number, opts: { gate?: boolean; oneThread?: boolean; apart?: boolean } = {}): Trace {
  const t = new Trace();
  t.process(1);
  const locks = Array.from({ length: n }, (_, i) => t.object(100 + i, 'Lock', `lock_${String.fromCharCode(97 + i)}`));
  const gate = t.object(99, 'Lock', 'gate');
  const only = opts.oneThread ? t.thread(1, 'only', 0, 1000 * MS) : -1;
  for (let i = 0; i < n; i++) {
    const base = (10 + i * 20) * MS;
    // Threads that "never met" live one after the other; otherwise all live through the run.
    const th = only >= 0 ? only : opts.apart ? t.thread(1, `w${i}`, base - 1 * MS, base + 10 * MS) : t.thread(1, `w${i}`, 0, 1000 * MS);
    if (opts.gate) t.hold(th, gate, base, base + 8 * MS);
    t.hold(th, locks[i], base + 1 * MS, base + 5 * MS, 10 + i);
    t.hold(th, locks[(i + 1) % n], base + 2 * MS, base + 4 * MS, 20 + i);
  }
  return t;
}

const inversions = (t: Trace) => findings(t.store).filter((f) => f.kind === 'lock-order-inversion');

for (const n of [2, 3, 4]) {
  test(`a cycle of ${n} locks taken by ${n} threads: one lock-order inversion with the acquisition path of every edge`, () => {
    const [f] = inversions(ring(n));
    assert.ok(f);
    assert.equal(f.objects.length, n);
    assert.equal(f.edges.length, n);
    assert.equal(f.sites.length, 2 * n);
    assert.match(f.message, /w0 takes lock_a at line 10 then lock_b at line 20/);
    assert.equal(findings(ring(n).store).filter((x) => x.kind === 'deadlock').length, 0, 'it never hung');
  });
}

test('a gate lock held around every acquisition orders them: silent', () => {
  assert.deepEqual(inversions(ring(3, { gate: true })), []);
});

test('one thread taking the locks in both orders cannot deadlock with itself: silent', () => {
  assert.deepEqual(inversions(ring(3, { oneThread: true })), []);
});

test('threads that never lived at the same time: silent', () => {
  assert.deepEqual(inversions(ring(2, { apart: true })), []);
});

test('the inversion is found when the second thread joins an existing edge (a new witness, not a new edge)', () => {
  const t = new Trace();
  t.process(1);
  const [a, b] = [t.object(1, 'Lock', 'a'), t.object(2, 'Lock', 'b')];
  const x = t.thread(1, 'x', 0, 100 * MS);
  const y = t.thread(1, 'y', 0, 100 * MS);
  // x alone takes a→b and b→a (silent so far), then y takes b→a.
  t.hold(x, a, 1 * MS, 4 * MS);
  t.hold(x, b, 2 * MS, 3 * MS);
  t.hold(x, b, 5 * MS, 8 * MS);
  t.hold(x, a, 6 * MS, 7 * MS);
  t.hold(y, b, 10 * MS, 13 * MS);
  t.hold(y, a, 11 * MS, 12 * MS);
  const [f] = inversions(t);
  assert.ok(f);
  assert.deepEqual(f.parties.map((p) => p.name).sort(), ['x', 'y']);
});
