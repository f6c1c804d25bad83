/** Data races on synthetic traces: happens-before by locks, queues, joins with reused idents; parts and values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { computeFlows } from '../../src/core/analysis/flows';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace, value } from './analysisTrace';

const VAR = 2 ** 51 + 42;

function twoThreads(): { t: Trace; x: number; y: number; main: number } {
  const t = new Trace();
  t.process(1);
  t.object(VAR, 'Python.globals', '__main__', 3);
  const main = t.thread(1, 'MainThread', 0, 100 * MS);
  const x = t.thread(1, 'x', 1 * MS, 50 * MS, { ident: 71 });
  const y = t.thread(1, 'y', 1 * MS, 50 * MS, { ident: 72 });
  return { t, x, y, main };
}

const name = (t: Trace, text: string): number => 2 * t.store.intern(text);
const races = (t: Trace) => findings(t.store).filter((f) => f.kind === 'data-race');

test('counter += 1 in two threads with no lock: one race on counter, with the lost update in the steps', () => {
  const { t, x, y } = twoThreads();
  const counter = name(t, 'counter');
  t.point(K.SHARED_READ, x, 10 * MS, VAR, value(41), counter, 9);
  t.point(K.SHARED_READ, y, 11 * MS, VAR, value(41), counter, 14);
  t.point(K.SHARED_WRITE, x, 12 * MS, VAR, value(42), counter, 9);
  t.point(K.SHARED_WRITE, y, 13 * MS, VAR, value(42), counter, 14);
  const found = races(t);
  assert.equal(found.length, 1, 'one finding per variable');
  const f = found[0];
  assert.match(f.message, /Data race on counter/);
  assert.deepEqual(f.steps, [
    'x read counter = 41 at line 9', 'y read counter = 41 at line 14', 'x wrote counter = 42 at line 9', 'y wrote counter = 42 at line 14',
    'both read the same value before either wrote: one update was lost',
  ]);
  assert.equal(f.details?.lostUpdate, true);
});

test('the same accesses under one lock: ordered by release → acquire, silent', () => {
  const { t, x, y } = twoThreads();
  const lock = t.object(7, 'Lock', 'lock');
  const counter = name(t, 'counter');
  t.hold(x, lock, 10 * MS, 12.5 * MS);
  t.point(K.SHARED_READ, x, 11 * MS, VAR, value(41), counter);
  t.point(K.SHARED_WRITE, x, 12 * MS, VAR, value(42), counter);
  t.hold(y, lock, 13 * MS, 15.5 * MS);
  t.point(K.SHARED_READ, y, 14 * MS, VAR, value(42), counter);
  t.point(K.SHARED_WRITE, y, 15 * MS, VAR, value(43), counter);
  assert.deepEqual(races(t), []);
});

test('a hand-off by a thread queue (put → get of that message) orders the accesses', () => {
  const { t, x, y } = twoThreads();
  const q = t.object(8, 'Queue', 'q');
  const v = name(t, 'data');
  t.point(K.SHARED_WRITE, x, 10 * MS, VAR, value(1), v);
  t.span(K.QUEUE_PUT, x, 11 * MS, 11 * MS, q, 555);
  t.span(K.QUEUE_GET, y, 5 * MS, 12 * MS, q, 555);
  t.point(K.SHARED_WRITE, y, 13 * MS, VAR, value(2), v);
  assert.deepEqual(races(t), []);
});

test('different variables of one object do not race; the whole object (part 0) conflicts with every part', () => {
  const { t, x, y } = twoThreads();
  t.point(K.SHARED_WRITE, x, 10 * MS, VAR, value(1), name(t, 'a'));
  t.point(K.SHARED_WRITE, y, 11 * MS, VAR, value(1), name(t, 'b'));
  assert.deepEqual(races(t), []);
  t.point(K.SHARED_READ, y, 12 * MS, VAR, 0, 0);
  assert.equal(races(t).length, 1);
});

test('join of a thread whose ident was reused orders the right thread; the join arrow points at it', () => {
  const t = new Trace();
  t.process(1);
  t.object(VAR, 'Python.globals', '__main__');
  const main = t.thread(1, 'MainThread', 0, 100 * MS);
  const a = name(t, 'a');
  const b = name(t, 'b');
  // first (ident 9) ends at 10 ms; second reuses ident 9 and runs until 60 ms.
  const first = t.thread(1, 'first', 1 * MS, 10 * MS, { ident: 9 });
  t.point(K.THREAD_SPAWN, main, 0.5 * MS, 9);
  t.point(K.SHARED_WRITE, first, 5 * MS, VAR, value(1), a);
  t.point(K.THREAD_SPAWN, main, 11 * MS, 9);
  const second = t.thread(1, 'second', 12 * MS, 60 * MS, { ident: 9 });
  // main joins the first one at 20 ms, while the second (same ident) runs: it returns at once.
  const join1 = t.span(K.THREAD_JOIN, main, 20 * MS, 20.1 * MS, 9, 1);
  t.point(K.SHARED_READ, main, 21 * MS, VAR, value(1), a);
  t.point(K.SHARED_WRITE, second, 30 * MS, VAR, value(2), b);
  const join2 = t.span(K.THREAD_JOIN, main, 40 * MS, 61 * MS, 9, 1);
  t.point(K.SHARED_READ, main, 62 * MS, VAR, value(2), b);
  assert.deepEqual(races(t).map((f) => f.message), [], 'every access is ordered');
  const joins = computeFlows(t.store).filter((f) => f.kind === 'join');
  const startRow = (thread: number): number => t.store.rowsOf(K.THREAD_START).find((r) => t.store.thread[r] === thread)!;
  assert.deepEqual(joins.map((j) => [j.from, j.to]).sort(), [[startRow(first), join1], [startRow(second), join2]].sort());
});

test('a write in a process ordered before a child by start(), and the child ordered before the parent by join()', () => {
  const t = new Trace();
  t.process(1, 'parent');
  t.process(2, 'child');
  t.object(VAR, 'Value', 'balance');
  const parent = t.thread(1, 'MainThread', 0, 100 * MS);
  t.point(K.SHARED_WRITE, parent, 1 * MS, VAR, value(1), 0);
  t.span(K.PROCESS_SPAWN, parent, 2 * MS, 3 * MS, 2);
  const child = t.thread(2, 'MainThread', 4 * MS, 20 * MS);
  t.point(K.SHARED_READ, child, 5 * MS, VAR, value(1), 0);
  t.point(K.SHARED_WRITE, child, 6 * MS, VAR, value(2), 0);
  t.span(K.PROCESS_JOIN, parent, 7 * MS, 21 * MS, 2, 0, 1);
  t.point(K.SHARED_READ, parent, 22 * MS, VAR, value(2), 0);
  assert.deepEqual(races(t), []);
  // Without the join, the parent's read races with the child's write.
  const u = new Trace();
  u.process(1, 'parent');
  u.process(2, 'child');
  u.object(VAR, 'Value', 'balance');
  const p2 = u.thread(1, 'MainThread', 0, 100 * MS);
  u.span(K.PROCESS_SPAWN, p2, 2 * MS, 3 * MS, 2);
  const c2 = u.thread(2, 'MainThread', 4 * MS, 20 * MS);
  u.point(K.SHARED_WRITE, c2, 6 * MS, VAR, value(2), 0);
  u.point(K.SHARED_READ, p2, 22 * MS, VAR, value(2), 0);
  assert.equal(races(u).length, 1);
});

test('a Lock released by another thread than the one that took it (a signal) orders the releaser before the next acquire', () => {
  const { t, x, main } = twoThreads();
  const done = t.object(7, 'Lock', 'done');
  const v = name(t, 'data');
  // main takes `done`, then waits to take it again; x writes data and releases it (main's hold ends).
  t.hold(main, done, 2 * MS, 20 * MS);
  t.wait(main, done, 3 * MS, 20.5 * MS, true);
  t.point(K.SHARED_WRITE, x, 10 * MS, VAR, value(1), v);
  t.hold(main, done, 20.5 * MS, 30 * MS);
  t.point(K.SHARED_READ, main, 21 * MS, VAR, value(1), v);
  assert.deepEqual(races(t), []);
});

test('Manager list appends from two processes (each one request the manager serves whole) do not race; a plain read of the list does', () => {
  const t = new Trace();
  t.process(1, 'parent');
  t.process(2, 'a');
  t.process(3, 'b');
  t.object(VAR, 'Manager.list', 'results');
  t.thread(1, 'MainThread', 0, 100 * MS);
  const a = t.thread(2, 'MainThread', 1 * MS, 50 * MS);
  const b = t.thread(3, 'MainThread', 1 * MS, 50 * MS);
  const call = (text: string): number => t.store.intern(text);
  t.point(K.SHARED_WRITE, a, 10 * MS, VAR, call('append(1)'), 0);
  t.point(K.SHARED_WRITE, b, 11 * MS, VAR, call('append(2)'), 0);
  t.point(K.SHARED_WRITE, a, 12 * MS, VAR, call('append(3)'), 0);
  assert.deepEqual(races(t), []);
  t.point(K.SHARED_READ, b, 13 * MS, VAR, call('[1, 2, 3]'), 0);
  assert.equal(races(t).length, 1);
});
