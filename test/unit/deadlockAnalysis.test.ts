/** Deadlock detection on synthetic traces: cycles at any moment, dissolution, abandoned locks, what stays silent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FindingsEngine, findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';

const kinds = (t: Trace): string[] => findings(t.store).map((f) => f.kind);

test('a three-thread lock cycle in the middle of a run, ended by timeouts: a deadlock that lasted and how it ended', () => {
  const t = new Trace();
  t.process(1, 'app.py');
  const main = t.thread(1, 'MainThread', 0, 100 * MS);
  const [a, b, c] = [t.object(11, 'Lock', 'a'), t.object(12, 'Lock', 'b'), t.object(13, 'Lock', 'c')];
  const t1 = t.thread(1, 'one', 1 * MS, 60 * MS);
  const t2 = t.thread(1, 'two', 1 * MS, 60 * MS);
  const t3 = t.thread(1, 'three', 1 * MS, 60 * MS);
  t.hold(t1, a, 2 * MS, 40 * MS, 10);
  t.hold(t2, b, 2 * MS, 41 * MS, 20);
  t.hold(t3, c, 2 * MS, 42 * MS, 30);
  t.wait(t1, b, 5 * MS, 40 * MS, false, 11);
  t.wait(t2, c, 6 * MS, 41 * MS, false, 21);
  t.wait(t3, a, 7 * MS, 42 * MS, false, 31); // closes the cycle at 7 ms
  t.point(K.IO_WRITE, main, 90 * MS, 0, 0, 1); // the run goes on long after
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.ok(d, 'found');
  assert.equal(d.parties.length, 3);
  assert.equal(d.details?.endedBy, 'a timeout');
  assert.equal(d.details?.lastedMs, 33); // 7 ms → 40 ms
  assert.deepEqual(d.objects.map((o) => o.name).sort(), ['a', 'b', 'c']);
  assert.equal(d.edges.length, 3);
  assert.match(d.message, /one waits for b .* held by two/);
  // And the same locks form a lock-order cycle of length three.
  assert.ok(kinds(t).includes('lock-order-inversion'));
});

test('waiting for a lock whose holder is running is not a deadlock', () => {
  const t = new Trace();
  t.process(1);
  const l = t.object(11, 'Lock', 'l');
  const x = t.thread(1, 'x', 0, 50 * MS);
  const y = t.thread(1, 'y', 0, 50 * MS);
  t.hold(x, l, 1 * MS, 30 * MS);
  t.wait(y, l, 2 * MS, 30 * MS, true);
  t.hold(y, l, 30 * MS, 31 * MS);
  assert.deepEqual(kinds(t), []);
});

test('a cycle whose wait then ends normally (something unrecorded released it) is dropped', () => {
  const t = new Trace();
  t.process(1);
  const [a, b] = [t.object(11, 'Lock', 'a'), t.object(12, 'Lock', 'b')];
  const x = t.thread(1, 'x', 0, 50 * MS);
  const y = t.thread(1, 'y', 0, 50 * MS);
  t.hold(x, a, 1 * MS, 20 * MS);
  t.hold(y, b, 1 * MS, 20 * MS);
  t.wait(x, b, 2 * MS, 10 * MS, true);
  t.wait(y, a, 3 * MS, 20 * MS, true);
  assert.deepEqual(findings(t.store).filter((f) => f.kind === 'deadlock'), []);
});

test('a lock held by a thread that ended: the waiter is stuck on an abandoned lock', () => {
  const t = new Trace();
  t.process(1);
  const l = t.object(11, 'Lock', 'guard');
  const dead = t.thread(1, 'careless', 0, 5 * MS);
  const w = t.thread(1, 'patient', 0, 60 * MS);
  t.hold(dead, l, 1 * MS, NaN, 7);
  t.wait(w, l, 10 * MS, 50 * MS, false, 9);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.equal(d.details?.shape, 'abandoned');
  assert.match(d.message, /patient waits for guard at line 9, which careless took at line 7 and never released/);
});

test('two processes deadlocked, stopped by a signal that ends one first: one deadlock, not a second for the lock the dead one left held', () => {
  const t = new Trace();
  t.process(1, 'main.py');
  t.process(2, 'one');
  t.process(3, 'two');
  const [a, b] = [t.object(11, 'Lock', 'lock_a'), t.object(12, 'Lock', 'lock_b')];
  const one = t.thread(2, 'MainThread', 0, 50 * MS);
  const two = t.thread(3, 'MainThread', 0, 80 * MS);
  t.hold(one, a, 1 * MS, NaN, 13);
  t.hold(two, b, 1 * MS, NaN, 13);
  t.wait(one, b, 5 * MS, 50 * MS, false, 16);
  t.wait(two, a, 6 * MS, 80 * MS, false, 16); // the cycle closes at 6 ms; one is killed at 50 ms, two at 80 ms
  const d = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(d.map((f) => f.message)));
  assert.equal(d[0].parties.length, 2);
});

test('a daemon consumer left waiting on an empty queue at exit is not a deadlock', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'q');
  t.thread(1, 'MainThread', 0, 10 * MS);
  const c = t.thread(1, 'consumer', 1 * MS, NaN, { daemon: true });
  t.span(K.QUEUE_GET, c, 2 * MS, NaN, q);
  t.store.processes[0].exited = true;
  t.store.processes[0].endTs = 11 * MS;
  assert.deepEqual(kinds(t), []);
});

test('a non-daemon consumer on a queue nobody can fill, joined by main until a timeout', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'jobs');
  const main = t.thread(1, 'MainThread', 0, 3000 * MS);
  const c = t.thread(1, 'consumer', 1 * MS, 2600 * MS, { ident: 77 });
  t.span(K.QUEUE_GET, c, 2 * MS, 2550 * MS, q, 0, 0, 5);
  t.span(K.THREAD_JOIN, main, 10 * MS, 1510 * MS, 77, 0, 0, 8); // timed out (a=0)
  t.point(K.QUEUE_PUT, main, 2540 * MS, q, 99);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.ok(d, JSON.stringify(findings(t.store)));
  assert.equal(d.details?.shape, 'queue');
  assert.equal(d.details?.endedBy, 'a timeout');
});

test('a queue get that polls with a short timeout while main joins is polling, not a deadlock', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'jobs');
  const main = t.thread(1, 'MainThread', 0, 400 * MS);
  const c = t.thread(1, 'worker', 1 * MS, 300 * MS, { ident: 77 });
  for (let i = 0; i < 3; i++) t.span(K.QUEUE_GET, c, (10 + 90 * i) * MS, (100 + 90 * i) * MS, q, 0, 1); // b=1: Empty
  t.span(K.THREAD_JOIN, main, 20 * MS, 300 * MS, 77, 1);
  assert.deepEqual(kinds(t), []);
});

test('live: a deadlock shows up while it lasts, and the final analysis agrees', () => {
  const t = new Trace();
  t.process(1);
  const [a, b] = [t.object(11, 'Lock', 'a'), t.object(12, 'Lock', 'b')];
  const x = t.thread(1, 'x', 0, NaN);
  const y = t.thread(1, 'y', 0, NaN);
  const engine = new FindingsEngine(t.store, { lagNs: 10 * MS });
  t.hold(x, a, 1 * MS, NaN);
  t.hold(y, b, 1 * MS, NaN);
  assert.deepEqual(engine.update({ now: 5 * MS }).map((f) => f.kind), []);
  t.wait(x, b, 20 * MS, NaN, false);
  t.wait(y, a, 21 * MS, NaN, false);
  const live = engine.update({ now: 500 * MS });
  assert.deepEqual(live.map((f) => f.kind).sort(), ['deadlock', 'lock-order-inversion']);
  assert.equal(live[0].details?.ongoing, true);
  // The trace ends with the waits open and the process not gone: the deadlock still holds.
  assert.equal(engine.update({ final: true }).find((f) => f.kind === 'deadlock')?.details?.ongoing, true);
  t.store.processes[0].exited = true;
  t.store.processes[0].endTs = 600 * MS;
  assert.equal(findings(t.store).find((f) => f.kind === 'deadlock')?.details?.endedBy, 'the process exiting');
});

test('a consumer whose producer put some items and ended: the dead producer is named', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'jobs');
  const main = t.thread(1, 'MainThread', 0, 3000 * MS);
  const p = t.thread(1, 'producer', 1 * MS, 5 * MS);
  const c = t.thread(1, 'consumer', 1 * MS, 2600 * MS, { ident: 77 });
  t.span(K.QUEUE_PUT, p, 2 * MS, 2 * MS, q, 1);
  t.span(K.QUEUE_GET, c, 3 * MS, 3 * MS, q, 1);
  t.span(K.QUEUE_GET, c, 6 * MS, 2550 * MS, q, 0, 0, 5);
  t.span(K.THREAD_JOIN, main, 10 * MS, 1510 * MS, 77, 0, 0, 8);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.match(d.message, /every thread that put items on it \(producer\) has ended/);
});

test('a producer blocked on a full queue that nobody takes from, joined by main: a deadlock', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'bounded');
  const main = t.thread(1, 'MainThread', 0, 3000 * MS);
  const p = t.thread(1, 'producer', 1 * MS, 2600 * MS, { ident: 78 });
  t.span(K.QUEUE_PUT, p, 3 * MS, 2550 * MS, q, 5, 0, 11); // waited: the queue was full
  t.span(K.THREAD_JOIN, main, 10 * MS, 1510 * MS, 78, 0, 0, 8);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.ok(d);
  assert.match(d.message, /waits to put on bounded \(full\)/);
});

/** A process ended by Ctrl-C at `end`. */
function interrupted(t: Trace, end: number): void {
  const p = t.store.processes[0];
  Object.assign(p, { exited: true, endTs: end, signal: 2 });
}

test('Queue.join() waiting for a consumer that never calls task_done(), interrupted by Ctrl-C: a deadlock that says to call task_done()', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'q');
  const main = t.thread(1, 'MainThread', 0, 3005 * MS);
  const c = t.thread(1, 'worker', 1 * MS, NaN, { daemon: true });
  t.point(K.QUEUE_PUT, main, 2 * MS, q, 99, 0, 12);
  t.span(K.QUEUE_GET, c, 1 * MS, 2.5 * MS, q, 99, 0, 5);
  t.span(K.QUEUE_GET, c, 4 * MS, NaN, q, 0, 0, 5);
  t.span(K.QUEUE_JOIN, main, 5 * MS, 3000 * MS, q, 1, 0, 13); // a=1: raised (KeyboardInterrupt)
  interrupted(t, 3010 * MS);
  const d = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(findings(t.store).map((f) => f.message)));
  assert.equal(d[0].details?.shape, 'taskDone');
  assert.equal(d[0].details?.endedBy, 'Ctrl-C (SIGINT)');
  assert.equal(d[0].details?.lastedMs, 2995);
  assert.match(d[0].message, /waits for q to be processed \(join\) at line 13/);
  assert.match(d[0].explanation, /task_done\(\)/);
});

test('a join() of the queue that returns once every item is done is no deadlock', () => {
  const t = new Trace();
  t.process(1);
  const q = t.object(20, 'Queue', 'q');
  const main = t.thread(1, 'MainThread', 0, 30 * MS);
  const c = t.thread(1, 'worker', 1 * MS, NaN, { daemon: true });
  t.point(K.QUEUE_PUT, main, 2 * MS, q, 99);
  t.span(K.QUEUE_GET, c, 1 * MS, 2.5 * MS, q, 99);
  t.span(K.QUEUE_JOIN, main, 2.2 * MS, 3.1 * MS, q, 0);
  t.span(K.QUEUE_TASK_DONE, c, 3 * MS, 3.05 * MS, q);
  t.span(K.QUEUE_GET, c, 4 * MS, NaN, q);
  assert.deepEqual(kinds(t).filter((k) => k === 'deadlock'), []);
});

test('two threads handing off through two queues, each waiting for the other, Ctrl-C then ends main: one deadlock, not a second for the worker left waiting', () => {
  const t = new Trace();
  t.process(1);
  const [q, r] = [t.object(20, 'Queue', 'q'), t.object(21, 'Queue', 'r')];
  const main = t.thread(1, 'MainThread', 0, 3005 * MS);
  const w = t.thread(1, 'worker', 1 * MS, NaN);
  t.span(K.QUEUE_GET, w, 4 * MS, NaN, q, 0, 0, 4);
  t.span(K.QUEUE_GET, main, 5 * MS, 3000 * MS, r, 0, 1, 8); // b=1: failed (KeyboardInterrupt)
  interrupted(t, 4000 * MS);
  const d = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(d.map((f) => f.message)));
  assert.equal(d[0].parties.length, 2);
  assert.equal(d[0].details?.endedBy, 'Ctrl-C (SIGINT)');
});
