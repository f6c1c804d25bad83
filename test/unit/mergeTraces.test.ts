import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { FIRST_FRESH_PID } from '../../src/core/merge/idSpaces';
import { mergeInfoOf } from '../../src/core/merge/mergeInfo';
import { describeMerge } from '../../src/core/merge/mergeReport';
import { MergeError, mergeTraces } from '../../src/core/merge/mergeTraces';
import { RemoteProcesses } from '../../src/core/run/remoteIngest';
import type { RawRecord } from '../../src/core/run/eventFile';
import { K } from '../../src/core/trace/recordKinds';
import { decodeTrace, encodeTrace } from '../../src/core/trace/traceFile';
import { A, B, MS, S, WALL, producerAndWorker, trace, type Where } from './partTraces';

test('two traces become one: every process, grouped by host, colliding pids renumbered', () => {
  const [a, b] = producerAndWorker();
  const { store, info } = mergeTraces([{ file: 'producer.ctrace', store: a }, { file: 'worker.ctrace', store: b }]);
  assert.equal(store.processes.length, 2);
  assert.equal(store.threads.length, 2);
  const pids = store.processes.map((p) => p.pid);
  assert.equal(new Set(pids).size, 2);
  assert.equal(pids[0], 100);
  assert.ok(pids[1] >= FIRST_FRESH_PID, `renumbered pid ${pids[1]}`);
  assert.deepEqual(info.parts[1].renumbered.find(([o]) => o === 100), [100, pids[1]]);
  assert.deepEqual(info.hosts.map((h) => h.pids), [[100], [pids[1]]]);
  // Both hosts are called "box": told apart by an address.
  assert.deepEqual(info.hosts.map((h) => h.label), ['box 10.77.0.1', 'box 10.77.0.2']);
  assert.equal(store.processes[1].name, 'box 10.77.0.2: worker.py');
  assert.equal(store.threads[1].pid, pids[1]);
  // The worker's PROCESS_START names its new pid.
  const starts = store.rowsOf(K.PROCESS_START).map((r) => store.obj[r]);
  assert.deepEqual(starts, pids);
  // Strings and sites of both parts resolve.
  assert.deepEqual(store.sites.map((s) => s.file), ['/home/u/producer.py', '/home/u/worker.py']);
});

test('puts and gets of one Manager queue pair across the traces; ids local to one trace do not', () => {
  const [a, b] = producerAndWorker();
  const { store } = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]);
  const flows = computeFlows(store).filter((f) => f.kind === 'queue');
  const procOf = (thread: number): number => store.threads[thread].process;
  const cross = flows.filter((f) => procOf(f.fromThread) !== procOf(f.toThread));
  // 5 tasks A→B, 5 results B→A; each put with the get of its own key.
  assert.equal(cross.length, 10);
  for (const f of cross) assert.equal(store.a[f.from], store.a[f.to]);
  // The thread-queue put/get of the producer pair with each other, not with the worker's put of the same local id.
  const local = flows.filter((f) => procOf(f.fromThread) === procOf(f.toThread));
  assert.equal(local.length, 1);
  assert.equal(procOf(local[0].fromThread), 0);
  const workerLocalPut = store.rowsOf(K.QUEUE_PUT).find((r) => store.b[r] === 0 && store.threads[store.thread[r]].process === 1)!;
  const producerLocalPut = store.rowsOf(K.QUEUE_PUT).find((r) => store.b[r] === 0 && store.threads[store.thread[r]].process === 0)!;
  assert.notEqual(store.obj[workerLocalPut], store.obj[producerLocalPut]);
  assert.notEqual(store.a[workerLocalPut], store.a[producerLocalPut]);
});

test('a clock 2 s ahead is found from the messages both ways, within the message latency, and every receive follows its send', () => {
  const [a, b] = producerAndWorker();
  const { store, info } = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]);
  const clock = info.clocks[1];
  assert.equal(clock.basis, 'messages');
  // Latencies are 1–3 ms: the smallest each way (1 ms) bounds the offset to ± 1 ms.
  assert.ok(Math.abs(clock.offsetNs - 2 * S) <= 1 * MS, `offset ${clock.offsetNs}`);
  assert.ok(clock.errorNs !== null && clock.errorNs <= 1 * MS, `error ${clock.errorNs}`);
  assert.ok(clock.minOffsetNs! <= 2 * S && clock.maxOffsetNs! >= 2 * S);
  assert.equal(clock.messages, 10);
  assert.equal(info.crossMessages, 10);
  // The worker's run began 1 s after the producer's.
  assert.ok(Math.abs(info.parts[1].startNs - 1 * S) <= 1 * MS, `start ${info.parts[1].startNs}`);
  for (const f of computeFlows(store)) assert.ok(f.toTs >= f.fromTs, `${f.kind} flow goes back in time`);
  assert.match(describeMerge(info), /clock of box 10\.77\.0\.2 \(b\): \+2\.000 s ± [\d.]+ (ms|µs) ahead of the reference, from messages both ways; 10 message/);
});

test('traces on one clock are placed by their monotonic zeros exactly, whatever their wall clocks say', () => {
  const a = producerAndWorker()[0];
  // Same host, same clock, started 1 s later; its wall-clock reading is 7 s off (ignored: the monotonic clock is shared).
  const same: Where = { host: 'a', clock: 'a', trueZero: 1 * S, ahead: 0, mono: A.mono };
  const b = producerAndWorker(same)[1];
  (b.meta as unknown as Record<string, string>).wallNsAtZero = String(WALL + 8n * BigInt(S));
  const { info } = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]);
  assert.equal(info.hosts.length, 1);
  assert.equal(info.clocks.length, 1);
  assert.equal(info.parts[1].startNs, 1 * S);
  assert.equal(info.hosts[0].label, 'box');
});

test('a part with no messages to the others keeps its wall-clock place, and the merge says so', () => {
  const a = producerAndWorker()[0];
  const lone = trace({ host: 'c', clock: 'c', trueZero: 2 * S, ahead: 0, mono: 77n }, 300, 'lonely.py', [[K.SLEEP, 2.1 * S, 2.2 * S, 0, 100, 0]]);
  const { info } = mergeTraces([{ file: 'a', store: a }, { file: 'lonely', store: lone }]);
  assert.equal(info.clocks[1].basis, 'wall-clock');
  assert.equal(info.clocks[1].errorNs, null);
  assert.equal(info.parts[1].startNs, 2 * S);
  assert.ok(info.notes.some((n) => n.startsWith('lonely: no message with the other parts')));
});

test('the combined trace saves and reads back with its merge description', () => {
  const [a, b] = producerAndWorker();
  const { store, info } = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]);
  const back = decodeTrace(encodeTrace(store));
  assert.deepEqual(mergeInfoOf(back.meta), info);
  assert.equal(back.length, store.length);
  assert.deepEqual(back.meta.argv, ['concurrency-trace', 'merge', 'a', 'b']);
});

test('a damaged merge description is refused when the trace is read', () => {
  const [a, b] = producerAndWorker();
  const { store, info } = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]);
  (store.meta as unknown as { merge: unknown }).merge = { ...info, parts: [{ ...info.parts[0], host: 9 }] };
  assert.throws(() => decodeTrace(encodeTrace(store)), /meta\.merge\.parts\[0\]\.host/);
});

test('a combined trace is not combined again', () => {
  const [a, b] = producerAndWorker();
  const { store } = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]);
  assert.throws(() => mergeTraces([{ file: 'all', store }, { file: 'a', store: a }]), MergeError);
});

test("a client's reported dask workers go under their own hosts, named once; one whose own trace is a part is left out with its rows", () => {
  // The client on A heard of two workers through dask: one on B (traced there too, pid 200), one on a host no part ran on.
  const client = trace(A, 100, 'client.py', [[K.SLEEP, 1 * S, 1.1 * S, 0, 100, 0]]);
  const ingest = new RemoteProcesses(client, (id) => client.strings[id] ?? '');
  const report = (obj: number, info: object, thread: number, key: string): void => {
    const raw = (kind: number, a: number, b = 0, ident = 0): RawRecord => ({ offset: 0, kind, ts: 1.05 * S, end: 1.08 * S, endRaw: 0, ident, obj, site: 0, a, b });
    ingest.take(raw(K.REMOTE_PROCESS, client.intern(JSON.stringify(info))));
    ingest.take(raw(K.REMOTE_THREAD, client.intern('Dask-Default-Threads-1'), 0, thread));
    ingest.take({ ...raw(K.REMOTE_TASK_RUN, client.intern(key), obj, thread), obj: 4242 + obj });
  };
  report(1, { engine: 'dask', host: 'box', address: 'tcp://10.77.0.2:4000', pid: 200 }, 11, 'inc-1');
  report(2, { engine: 'dask', host: 'far', address: 'tcp://10.77.0.9:4000', pid: 300 }, 12, 'inc-2');
  assert.deepEqual(client.processes.slice(1).map((p) => p.name), ['box 10.77.0.2: dask-worker tcp://10.77.0.2:4000 pid 200', 'far: dask-worker tcp://10.77.0.9:4000 pid 300']);
  const saved = decodeTrace(encodeTrace(client));     // merge reads saved traces
  const worker = trace(B, 200, 'dask-worker', [[K.SLEEP, 1.2 * S, 1.3 * S, 0, 100, 0]]);
  const { store, info } = mergeTraces([{ file: 'client', store: saved }, { file: 'worker', store: worker }]);
  assert.deepEqual(info.hosts.map((h) => h.label), ['box 10.77.0.1', 'box 10.77.0.2', 'far']);
  const far = store.processes.find((p) => p.name.includes('pid 300'));
  assert.equal(far?.name, 'far: dask-worker tcp://10.77.0.9:4000 pid 300', 'one host label');
  assert.deepEqual(info.hosts.map((h) => h.pids), [[100], [200], [far.pid]]);
  assert.deepEqual(store.processes.map((p) => p.name), ['box 10.77.0.1: client.py', far.name, 'box 10.77.0.2: dask-worker'], "the worker on B once: its own trace's");
  const runs = store.rowsOf(K.TASK_RUN);
  assert.deepEqual(runs.map((r) => store.strings[store.a[r]]), ['inc-2'], 'the left-out worker\'s reported run is not drawn twice');
  assert.equal(store.threads[store.thread[runs[0]]].pid, far.pid);
  for (let r = 0; r < store.length; r++) if (store.thread[r] >= 0) assert.ok(store.threads[store.thread[r]], `row ${r} on a thread of the trace`);
  for (const t of store.threads) assert.equal(store.processes[t.process].pid, t.pid);
  for (const p of store.processes) if (p.mainThread >= 0) assert.equal(store.threads[p.mainThread].process, p.index);
  const back = decodeTrace(encodeTrace(store));
  assert.deepEqual(mergeInfoOf(back.meta), info);
});
