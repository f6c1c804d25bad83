/** Locks and other synchronisation, traced end to end. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/trace/recordKinds';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { rows, START_METHODS, traceScript } from './harness';

const label = (s: TraceStore, row: number): string => s.objects.get(s.obj[row])?.label ?? '';
const type = (s: TraceStore, row: number): string => s.objects.get(s.obj[row])?.type ?? '';
const threadName = (s: TraceStore, row: number): string => s.threads[s.thread[row]]?.name ?? '';

test('threading primitives: waits only when held, holds, timeouts, RLock outermost, condition, event, barrier', async () => {
  const r = await traceScript('thread_sync.py');
  assert.equal(r.exitCode, 0, r.stderr);
  const s = r.store;
  const holds = rows(s, 'LOCK_HOLD');
  const lockHolds = holds.filter((i) => label(s, i) === 'lock');
  assert.ok(lockHolds.length >= 4, `holds of lock: ${lockHolds.length}`);
  const waits = rows(s, 'LOCK_WAIT').filter((i) => label(s, i) === 'lock');
  const waiterWait = waits.find((i) => threadName(s, i) === 'waiter');
  assert.ok(waiterWait !== undefined, 'the waiter waited for the holder');
  assert.equal(s.a[waiterWait], 1, 'and then acquired');
  assert.ok(waits.some((i) => s.a[i] === 0 && threadName(s, i) === 'MainThread'), 'a timed-out wait');
  assert.ok(rows(s, 'LOCK_TRY_FAIL').some((i) => label(s, i) === 'lock'), 'blocking=False failure');
  const rlockHolds = holds.filter((i) => label(s, i) === 'rlock');
  assert.equal(rlockHolds.length, 2, 'one hold per thread for a recursive RLock');
  assert.equal(type(s, rlockHolds[0]), 'RLock');
  assert.ok(rows(s, 'COND_WAIT').length >= 1);
  assert.ok(rows(s, 'COND_NOTIFY').length >= 1);
  assert.ok(rows(s, 'EVENT_WAIT').length >= 1 && rows(s, 'EVENT_SET').length >= 1);
  assert.equal(rows(s, 'BARRIER_WAIT').length, 3);
  for (const i of holds) {
    const site = s.sites[s.site[i]];
    assert.ok(site && site.file.endsWith('thread_sync.py'), 'every hold has a user call site');
  }
  assert.deepEqual(findings(s).map((f) => f.kind), []);
});

test('a lock-order inversion is found even though the run never hung', async () => {
  const r = await traceScript('../../../examples/lock_order.py');
  assert.equal(r.exitCode, 0, r.stderr);
  const f = findings(r.store);
  assert.equal(f.length, 1);
  assert.equal(f[0].kind, 'lock-order-inversion');
  assert.match(f[0].message, /accounts_lock/);
  assert.match(f[0].message, /audit_lock/);
  assert.equal(f[0].sites.length, 4);
});

for (const method of START_METHODS) {
  test(`multiprocessing locks are one object across processes (${method})`, async () => {
    const r = await traceScript('mp_sync.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /value 100/);
    const s = r.store;
    const root = s.processes[0].pid;
    const childHold = rows(s, 'LOCK_HOLD').find((i) => label(s, i) === 'lock' && s.threads[s.thread[i]].pid !== root);
    assert.ok(childHold !== undefined, 'the child held the lock');
    const parentWait = rows(s, 'LOCK_WAIT').find((i) => s.obj[i] === s.obj[childHold] && s.threads[s.thread[i]].pid === root);
    assert.ok(parentWait !== undefined, 'the parent waited on the same lock object');
    assert.match(type(s, childHold), /multiprocessing\.Lock/);
    const valueHolds = rows(s, 'LOCK_HOLD').filter((i) => /get_lock/.test(label(s, i)));
    assert.equal(valueHolds.length, 100, 'one hold per `with value.get_lock()`');
    assert.ok(rows(s, 'COND_WAIT').some((i) => s.threads[s.thread[i]].pid !== root), 'the child waited on the condition');
  });
}

test('a deadlock is reported with both parties when the run is stopped', async () => {
  const r = await traceScript('deadlock.py');
  assert.notEqual(r.exitCode, 0);
  const f = findings(r.store).filter((x) => x.kind === 'deadlock');
  assert.equal(f.length, 1, JSON.stringify(findings(r.store)));
  assert.match(f[0].message, /first.*second|second.*first/s);
  assert.ok(r.store.rowsOf(K.LOCK_WAIT).length >= 2);
});
