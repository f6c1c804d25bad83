import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIRST_FRESH_PID } from '../../src/core/merge/idSpaces';
import { emptyRecord, type RawRecord } from '../../src/core/run/eventFile';
import { RemoteProcesses, addressHost, type RemoteProcess } from '../../src/core/run/remoteIngest';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

const rec = (r: Partial<RawRecord>): RawRecord => ({ ...emptyRecord(), ...r });

function setUp(ownHost = 'laptop'): { store: TraceStore; remote: RemoteProcesses; blob: (text: string) => number } {
  const store = new TraceStore();
  (store.meta as { hostName?: string }).hostName = ownHost;
  store.addProcess({
    pid: 100, ppid: 1, parentPid: 1, name: 'client.py', argv: [], python: '', startTs: 0, endTs: 0, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1,
  });
  const blobs = new Map<number, string>();
  const blob = (text: string): number => {
    blobs.set(blobs.size + 1, text);
    return blobs.size;
  };
  return { store, remote: new RemoteProcesses(store, (id) => blobs.get(id) ?? ''), blob };
}

const proc = (blob: (t: string) => number, obj: number, host: string, address: string, pid: number): RawRecord =>
  rec({ kind: K.REMOTE_PROCESS, ts: 50, obj, a: blob(JSON.stringify({ engine: 'dask', host, address, pid })) });

test('a reported worker becomes a process of its host with a pid no real process has, its task a TASK_RUN on its thread', () => {
  const { store, remote, blob } = setUp();
  assert.equal(remote.take(proc(blob, 7, 'node-a', 'tcp://10.0.0.2:4000', 4242)), true);
  remote.take(rec({ kind: K.REMOTE_THREAD, ts: 60, ident: 555, obj: 7, a: blob('Dask-Default-Threads-4242-0') }));
  remote.take(rec({ kind: K.REMOTE_CLOCK, ts: 60, obj: 7, a: -1500, b: 300 }));
  remote.take(rec({ kind: K.REMOTE_TASK_RUN, ts: 20, end: 40, ident: 555, obj: 99, a: blob('inc-1'), b: 7 }));
  const p = store.processes[1] as RemoteProcess;
  assert.equal(p.pid, FIRST_FRESH_PID);
  assert.equal(p.name, 'node-a: dask-worker tcp://10.0.0.2:4000 pid 4242');
  assert.deepEqual([p.host, p.remoteAddress, p.remotePid, p.clockOffsetNs, p.clockErrorNs], ['node-a', 'tcp://10.0.0.2:4000', 4242, -1500, 300]);
  assert.deepEqual([p.startTs, p.endTs], [20, 40]);
  const t = store.threads[p.mainThread];
  assert.deepEqual([t.pid, t.ident, t.name], [p.pid, 555, 'Dask-Default-Threads-4242-0']);
  const rows = store.rowsOf(K.TASK_RUN);
  assert.equal(rows.length, 1);
  assert.deepEqual([store.ts[rows[0]], store.end[rows[0]], store.thread[rows[0]], store.obj[rows[0]], store.strings[store.a[rows[0]]]], [20, 40, t.index, 99, 'inc-1']);
  assert.deepEqual([...remote.hosts.values()].map((h) => [h.label, h.pids]), [['node-a', [p.pid]]]);
});

test("hosts that share a name with each other or with the run's own host are told apart by address, as merge labels them", () => {
  const { store, remote, blob } = setUp('laptop');
  remote.take(proc(blob, 1, 'node-a', 'tcp://10.0.0.2:4000', 10));
  remote.take(proc(blob, 2, 'node-a', 'tcp://10.0.0.2:4001', 11));
  assert.deepEqual(store.processes.slice(1).map((p) => p.name), [
    'node-a: dask-worker tcp://10.0.0.2:4000 pid 10', 'node-a: dask-worker tcp://10.0.0.2:4001 pid 11',
  ]);
  remote.take(proc(blob, 3, 'node-a', 'tcp://10.0.0.3:4000', 12));
  remote.take(proc(blob, 4, 'laptop', 'tcp://10.77.1.2:4000', 13));
  assert.deepEqual(store.processes.slice(1).map((p) => p.name), [
    'node-a 10.0.0.2: dask-worker tcp://10.0.0.2:4000 pid 10', 'node-a 10.0.0.2: dask-worker tcp://10.0.0.2:4001 pid 11',
    'node-a 10.0.0.3: dask-worker tcp://10.0.0.3:4000 pid 12', 'laptop 10.77.1.2: dask-worker tcp://10.77.1.2:4000 pid 13',
  ]);
  assert.deepEqual(store.processes.slice(1).map((p) => p.pid), [0, 1, 2, 3].map((i) => FIRST_FRESH_PID + i));
  assert.equal(remote.hosts.size, 3);
});

test('reports that name no known process, or carry a malformed description, add nothing that breaks the trace', () => {
  const { store, remote, blob } = setUp();
  remote.take(rec({ kind: K.REMOTE_TASK_RUN, ts: 1, end: 2, ident: 5, obj: 9, a: blob('k'), b: 404 }));
  remote.take(rec({ kind: K.REMOTE_THREAD, ts: 1, ident: 5, obj: 404, a: blob('t') }));
  remote.take(rec({ kind: K.REMOTE_CLOCK, ts: 1, obj: 404, a: 1, b: 1 }));
  assert.equal(store.processes.length, 1);
  assert.equal(store.length, 0);
  remote.take(rec({ kind: K.REMOTE_PROCESS, ts: 1, obj: 5, a: blob('{not json') }));
  assert.equal(store.processes[1].name, 'remote host: remote ?');
  assert.equal((store.processes[1] as RemoteProcess).remotePid, 0);
});

test('addressHost reads the host part of dask addresses', () => {
  assert.equal(addressHost('tcp://10.77.2.2:40000'), '10.77.2.2');
  assert.equal(addressHost('tls://[::1]:8786'), '::1');
  assert.equal(addressHost('inproc://192.0.2.2/14459/4'), '192.0.2.2');
  assert.equal(addressHost('nonsense'), '');
});
