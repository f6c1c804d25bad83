import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundCollector, solveClocks } from '../../src/core/merge/clockOffsets';

// Clock 1 reads 5 ms late against clock 0 as placed (its correction is +5 ms);
// messages take 1–3 ms each way.
const MS = 1e6;

function messages(offset: number, latencies: [number, number][], dirs: ('01' | '10')[]): BoundCollector {
  const c = new BoundCollector();
  let t = 0;
  latencies.forEach(([lat], i) => {
    t += 10 * MS;
    // True times on the reference; clock 1 shows them `offset` earlier (needs +offset).
    if (dirs[i % dirs.length] === '01') c.add(0, 1, t, t + lat - offset);
    else c.add(1, 0, t - offset, t + lat);
  });
  return c;
}

test('messages both ways put the offset in the middle of what they allow, within half the round trip', () => {
  const c = messages(5 * MS, [[1 * MS, 0], [3 * MS, 0], [2 * MS, 0], [1 * MS, 0]], ['01', '10']);
  const s = solveClocks(2, 0, c.bounds());
  const e = s.clocks[1];
  assert.equal(e.basis, 'messages');
  // Bounds: correction in [5 − min(0→1 latency), 5 + min(1→0 latency)] = [4, 6] ms.
  assert.equal(e.lowNs, 4 * MS);
  assert.equal(e.highNs, 6 * MS);
  assert.equal(e.correctionNs, 5 * MS);
  assert.equal(e.errorNs, 1 * MS);
  assert.equal(e.messages, 4);
  assert.equal(s.slackNs, 0);
  assert.deepEqual(s.clocks[0], { correctionNs: 0, lowNs: 0, highNs: 0, errorNs: 0, basis: 'reference', messages: 4 });
});

test('messages one way only give a bound on one side: the wall-clock placement stays when it agrees', () => {
  // Clock 1 is already right (offset 0): receives after sends, so no move.
  const agree = solveClocks(2, 0, messages(0, [[1 * MS, 0], [2 * MS, 0]], ['01']).bounds());
  assert.equal(agree.clocks[1].basis, 'lower-bound');
  assert.equal(agree.clocks[1].correctionNs, 0);
  assert.equal(agree.clocks[1].errorNs, null);
  // Clock 1 placed 5 ms early: receives would precede their sends; moved just enough (4 ms).
  const moved = solveClocks(2, 0, messages(5 * MS, [[1 * MS, 0], [2 * MS, 0]], ['01']).bounds());
  assert.equal(moved.clocks[1].basis, 'lower-bound');
  assert.equal(moved.clocks[1].correctionNs, 4 * MS);
  assert.equal(moved.clocks[1].highNs, Infinity);
  // Only messages from clock 1 to 0: an upper bound.
  const up = solveClocks(2, 0, messages(-5 * MS, [[1 * MS, 0]], ['10']).bounds());
  assert.equal(up.clocks[1].basis, 'upper-bound');
  assert.equal(up.clocks[1].correctionNs, -4 * MS);
});

test('a clock that talked only to a third one is bounded through it', () => {
  const c = new BoundCollector();
  // 0 ↔ 1 exact to ±1 ms around +2 ms; 1 ↔ 2 to ±1 ms around −3 ms relative to 1.
  c.add(0, 1, 0, 0 - 2 * MS + 1 * MS);
  c.add(1, 0, 10 * MS - 2 * MS, 10 * MS + 1 * MS);
  c.add(1, 2, 20 * MS - 2 * MS, 20 * MS - 5 * MS + 1 * MS);
  c.add(2, 1, 30 * MS - 5 * MS, 30 * MS - 2 * MS + 1 * MS);
  const s = solveClocks(3, 0, c.bounds());
  assert.equal(s.clocks[1].correctionNs, 2 * MS);
  assert.equal(s.clocks[2].correctionNs, 5 * MS);
  assert.equal(s.clocks[2].basis, 'messages');
  // The error grows along the chain: ±1 ms from 0–1 and ±1 ms from 1–2 … once 1 is settled, only 1–2's.
  assert.equal(s.clocks[2].errorNs, 1 * MS);
});

test('a clock with no messages keeps its wall-clock placement, with an unknown error', () => {
  const s = solveClocks(3, 0, messages(5 * MS, [[1 * MS, 0], [1 * MS, 0]], ['01', '10']).bounds());
  assert.equal(s.clocks[2].basis, 'wall-clock');
  assert.equal(s.clocks[2].correctionNs, 0);
  assert.equal(s.clocks[2].errorNs, null);
});

test('bounds that contradict each other are widened by the least amount that reconciles them, and the amount is told', () => {
  const c = new BoundCollector();
  // 0→1 says correction ≥ 3 ms; 1→0 says correction ≤ 1 ms: 2 ms apart.
  c.add(0, 1, 3 * MS, 0);
  c.add(1, 0, 0, 1 * MS);
  const s = solveClocks(2, 0, c.bounds());
  assert.ok(Math.abs(s.slackNs - 1 * MS) <= 1, `slack ${s.slackNs}`);
  assert.ok(Math.abs(s.clocks[1].correctionNs - 2 * MS) <= 1);
  assert.equal(s.clocks[1].basis, 'messages');
});

test('the tightest message per direction is what bounds a clock', () => {
  const c = new BoundCollector();
  c.add(0, 1, 100, 150);
  c.add(0, 1, 200, 210);
  c.add(0, 1, 300, 390);
  assert.deepEqual(c.bounds(), [{ from: 0, to: 1, lowerNs: -10, messages: 3 }]);
  c.add(1, 1, 0, 0);
  assert.equal(c.size, 1);
});
