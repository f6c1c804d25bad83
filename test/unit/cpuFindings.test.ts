/** gil-contention and oversubscription from synthetic CPU samples. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { machineBlocks } from '../../src/core/analysis/cpu';
import { findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/trace/recordKinds';
import { encodeThreadSample } from '../../src/core/run/threadSample';
import { MS, Trace } from './analysisTrace';

/** Four threads of one process sampled every 50 ms for 3 s: `cpu` % each, `runnable` of them in state R per sample. */
function fourThreads(cpu: number, runnable: number, opts: { gil?: string; busyCores?: number; sleeping?: boolean } = {}): Trace {
  const t = new Trace();
  t.process(1, 'app.py');
  const main = t.thread(1, 'MainThread', 0, 4000 * MS);
  t.store.push(K.PROCESS_START, 0, 0, main, 1, -1, 0, t.store.intern(JSON.stringify({ python: '3.13.0', gil: opts.gil ?? 'default' })));
  const workers = [0, 1, 2, 3].map((i) => t.thread(1, `cpu-${i}`, 1 * MS, 3500 * MS));
  if (opts.sleeping) for (const w of workers) t.span(K.SLEEP, w, 2 * MS, 3400 * MS, 0, 3e9);
  for (let k = 1; k <= 60; k++) {
    const ts = k * 50 * MS;
    for (let c = 0; c < 2; c++) t.store.push(K.SAMPLE_CORE, ts, ts, -1, c, -1, opts.busyCores ?? 50, 0);
    workers.forEach((w, i) => t.store.push(K.SAMPLE_CPU, ts, ts, w, 1, -1, cpu, encodeThreadSample(i % 2, (i + k) % 4 < runnable ? 'R' : 'S')));
  }
  return t;
}

const kinds = (t: Trace): string[] => findings(t.store).map((f) => f.kind);

test('four threads sharing one core, one runnable at a time: GIL contention', () => {
  const [f] = findings(fourThreads(25, 1).store);
  assert.equal(f?.kind, 'gil-contention');
  assert.equal(f.details?.threads, 4);
  assert.equal(f.details?.achievedCores, 1);
  assert.equal(f.parties.length, 4);
});

test('the same on a machine whose cores are saturated by others (the threads get less than a core, every waiter runnable): silent, the GIL cannot be told from the load', () => {
  assert.deepEqual(kinds(fourThreads(5, 4, { busyCores: 100 })), []);
  assert.deepEqual(kinds(fourThreads(5, 1, { busyCores: 100 })), []);
});

test('four threads using two cores (no GIL: C code, free-threaded) are not GIL contention', () => {
  assert.deepEqual(kinds(fourThreads(50, 2)), []);
});

test('four threads getting one core on a machine whose other core is busy: silent (others may hold it); using both when free: silent', () => {
  assert.deepEqual(kinds(fourThreads(25, 4, { busyCores: 100 })), []);
  assert.deepEqual(kinds(fourThreads(45, 4, { busyCores: 20 })), []);
});

test('a free-threaded build running without the GIL: silent', () => {
  assert.deepEqual(kinds(fourThreads(25, 1, { gil: 'disabled' })), []);
});

test('threads inside recorded sleeps do not want the CPU: silent', () => {
  assert.deepEqual(kinds(fourThreads(25, 1, { sleeping: true })), []);
});

test('twelve runnable processes on two cores for seconds: oversubscription; two: silent', () => {
  const build = (n: number): Trace => {
    const t = new Trace();
    const threads: number[] = [];
    for (let p = 0; p < n; p++) {
      t.process(100 + p, `worker-${p}`);
      threads.push(t.thread(100 + p, 'MainThread', 0, 4000 * MS));
    }
    for (let k = 1; k <= 60; k++) {
      const ts = k * 50 * MS;
      for (let c = 0; c < 2; c++) t.store.push(K.SAMPLE_CORE, ts, ts, -1, c, -1, 100, 0);
      threads.forEach((th, i) => t.store.push(K.SAMPLE_CPU, ts, ts, th, 100 + i, -1, 100 * 2 / n, encodeThreadSample(0, 'R')));
    }
    return t;
  };
  const [f] = findings(build(12).store);
  assert.equal(f?.kind, 'oversubscription');
  assert.equal(f.details?.cores, 2);
  assert.equal(f.details?.runnable, 12);
  assert.deepEqual(kinds(build(2)), []);
});

test('four threads mostly blocked on I/O the trace does not see (little CPU in all, cores free): silent', () => {
  assert.deepEqual(kinds(fourThreads(8, 0)), []);
});

test('machineBlocks says which half-second blocks were judged, as the finding judges them: 60 % busy judged, 80 % not', () => {
  const judged = machineBlocks(fourThreads(25, 1, { busyCores: 60 }).store);
  assert.deepEqual([...judged.keys()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
  assert.ok([...judged.values()].every((busy) => !busy));
  assert.deepEqual(kinds(fourThreads(25, 1, { busyCores: 60 })), ['gil-contention']);
  const busy = machineBlocks(fourThreads(25, 1, { busyCores: 80 }).store);
  assert.ok(busy.size === 7 && [...busy.values()].every((b) => b));
  assert.deepEqual(kinds(fourThreads(25, 1, { busyCores: 80 })), []);
});
