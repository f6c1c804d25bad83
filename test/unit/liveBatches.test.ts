import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyAppend, storeFromSnapshot } from '../../src/core/live/applyMessages';
import { LiveBatches } from '../../src/core/live/liveBatches';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

const running = { status: 'running' as const, title: 't' };

function grow(store: TraceStore, from: number, to: number): void {
  for (let i = from; i < to; i++) store.push(K.LOCK_HOLD, i, i % 2 ? NaN : i + 1, 0, 1, -1, 0, 0);
}

test('snapshot then appends rebuild the same store, closed spans included', () => {
  const host = new TraceStore();
  host.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'a', argv: [], python: '', startTs: 0, endTs: 0, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: 0 });
  host.addThread({ process: 0, pid: 1, ident: 1, nativeId: 1, name: 'Main', startTs: 0, endTs: NaN, daemon: false, internal: false, main: true, exception: null });
  grow(host, 0, 10);
  const batches = new LiveBatches(host);
  const view = storeFromSnapshot(JSON.parse(JSON.stringify(batches.snapshot(running))));
  host.update(1, 50, 0, 0); // a span sent open closes
  host.intern('new string');
  host.threads[0].name = 'Renamed';
  grow(host, 10, 25);
  host.update(11, 99, 0, 0); // closes within the same batch
  const msg = JSON.parse(JSON.stringify(batches.append(running)));
  assert.ok(applyAppend(view, msg));
  assert.deepEqual(view.columns(), host.columns());
  assert.equal(view.threads[0].name, 'Renamed');
  assert.deepEqual(view.strings, host.strings);
  assert.ok(Number.isNaN(view.end[3]), 'still open');
});

test('an append that does not follow on is refused (the view asks for a snapshot)', () => {
  const host = new TraceStore();
  grow(host, 0, 3);
  const batches = new LiveBatches(host);
  batches.snapshot(running);
  grow(host, 3, 5);
  const msg = batches.append(running)!;
  assert.equal(applyAppend(new TraceStore(), msg), false);
});

test('nothing changed and not running: no message', () => {
  const host = new TraceStore();
  const batches = new LiveBatches(host);
  batches.snapshot(running);
  assert.equal(batches.append({ status: 'exited', title: 't' }), undefined);
});

test('a table changed in place (a process that ended) is sent even with no new rows', () => {
  const host = new TraceStore();
  host.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'a', argv: [], python: '', startTs: 0, endTs: 0, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  const batches = new LiveBatches(host);
  const view = storeFromSnapshot(JSON.parse(JSON.stringify(batches.snapshot(running))));
  host.processes[0].exited = true;
  host.version++;
  const msg = batches.append({ status: 'stopped', title: 't' });
  assert.ok(msg, 'an append, not just a state');
  assert.ok(applyAppend(view, JSON.parse(JSON.stringify(msg))));
  assert.equal(view.processes[0].exited, true);
});
