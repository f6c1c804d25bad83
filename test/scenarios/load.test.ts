/** Lost events are a bug: what the program did under load is all in the trace. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { rows, traceScript } from './harness';

test('32 processes x 8 threads hammering locks and queues: emitted == collected', async () => {
  const r = await traceScript('stress.py', ['fork']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), '256 12800');
  const s = r.store;
  const children = s.processes.filter((p) => p.parentPid === s.processes[0].pid && !p.internal);
  assert.equal(children.length, 32);
  const threadLockHolds = rows(s, 'LOCK_HOLD').filter((i) => s.objects.get(s.obj[i])?.type === 'Lock');
  assert.equal(threadLockHolds.length, 12800, 'every `with lock:` of every thread');
  assert.ok(threadLockHolds.every((i) => !Number.isNaN(s.end[i])), 'every hold released');
  const puts = rows(s, 'QUEUE_PUT').filter((i) => s.objects.get(s.obj[i])?.type === 'Queue');
  const gets = rows(s, 'QUEUE_GET').filter((i) => s.objects.get(s.obj[i])?.type === 'Queue');
  assert.equal(puts.length, 12800);
  assert.equal(gets.length, 12800);
  const queueFlows = computeFlows(s).filter((f) => f.kind === 'queue');
  assert.ok(queueFlows.length >= 12800 + 32);
  assert.equal(s.threads.filter((t) => !t.internal && !t.main).length, 256);
});

const pandas = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('a pandas script in a Pool under Debian python3', { skip: pandas ? false : 'python3-pandas is not installed (.ci/run installs it)' }, async () => {
  const r = await traceScript('pandas_pool.py', ['spawn'], { python: '/usr/bin/python3' });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /^\[/);
  const runs = rows(r.store, 'TASK_RUN').filter((i) => r.store.strings[r.store.a[i]] === 'summarise');
  assert.equal(runs.length, 4);
  assert.ok(r.store.processes.length >= 3);
});
