import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Flow } from '../../src/core/analysis/flows';
import { exportChrome, type ChromeEvent } from '../../src/core/export/chrome';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

/** Run clock: µs since an arbitrary boot-time origin, plus odd nanoseconds. */
const T0 = 7_000_000_000_123;
const t = (us: number): number => T0 + us * 1000;

const P1 = 4100;
const P2 = 4200;
const L1 = 1001;
const L2 = 1002;
const QUEUE = 2001;
const PIPE = 3001;
const POOL = 4001;
const TASK = 5001;
const MSG = 77;
const PIPE_KEY = 123456 * 2 ** 32 + 42;

/**
 * Two processes (a parent with three threads, a child with two), lock holds and waits
 * (one pair held hand over hand), a queue put/get, a pipe send/recv, a pool task
 * submit/run/result, a process spawn and join, a thread spawn and join, open spans,
 * and CPU samples.
 */
function sampleStore(): TraceStore {
  const s = new TraceStore();
  const proc = (pid: number, ppid: number, name: string, start: number, end: number, mainThread: number) =>
    s.addProcess({ pid, ppid, parentPid: ppid, name, argv: ['python', name], python: '3.12.3', startTs: start, endTs: end,
      exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread });
  const p1 = proc(P1, 1, 'main.py', t(0), t(20000), 0);
  const p2 = proc(P2, P1, 'worker-proc', t(700), t(15000), 3);
  const thread = (p: typeof p1, ident: number, nativeId: number, name: string, start: number, end: number, main = false) =>
    s.addThread({ process: p.index, pid: p.pid, ident, nativeId, name, startTs: start, endTs: end, daemon: false, internal: false, main, exception: null });
  thread(p1, 11, P1, 'MainThread', t(0), t(20000), true); // 0
  thread(p1, 12, 4101, 'Worker-1', t(1200), t(14100)); // 1
  thread(p1, 13, 4102, 'Worker-2', t(1600), t(12000)); // 2
  thread(p2, 21, P2, 'MainThread', t(700), t(15000), true); // 3
  thread(p2, 22, 0, 'Thread-1 "q"', t(800), NaN); // 4: no native id, still running
  const site = s.addSite('/app/main.py', 10, '<module>');
  const obj = (id: number, type: string, label: string, pid: number) => s.objects.set(id, { id, type, label, pid, site });
  obj(L1, 'Lock', 'L1', P1);
  obj(L2, 'RLock', '', P1);
  obj(QUEUE, 'Queue', 'jobs', P1);
  obj(PIPE, 'Connection', 'pipe', P1);
  obj(POOL, 'Pool', 'pool', P1);
  const rows: [number, number, number, number, number, number, number][] = [
    // kind, ts, end, thread, obj, a, b
    [K.PROCESS_START, t(0), t(0), 0, P1, 1, 0],
    [K.PROCESS_SPAWN, t(500), t(900), 0, P2, 0, 0],
    [K.PROCESS_START, t(700), t(700), 3, P2, P1, 0],
    [K.THREAD_START, t(800), NaN, 4, 0, s.intern('Thread-1 "q"'), 0],
    [K.THREAD_SPAWN, t(1000), t(1500), 0, 12, 0, 0],
    [K.THREAD_START, t(1200), t(14100), 1, 4101, s.intern('Worker-1'), 0],
    [K.THREAD_SPAWN, t(1550), t(1700), 0, 13, 0, 0],
    [K.THREAD_START, t(1600), t(12000), 2, 4102, s.intern('Worker-2'), 0],
    [K.LOCK_HOLD, t(2000), t(5000), 1, L1, 0, 0],
    [K.LOCK_WAIT, t(2500), t(5000), 2, L1, 1, 0],
    [K.LOCK_HOLD, t(4000), t(6000), 1, L2, 0, 0], // hand over hand: overlaps the hold of L1
    [K.LOCK_HOLD, t(5000), t(7000), 2, L1, 0, 0],
    [K.SLEEP, t(7000), t(7500), 2, 0, 500_000, 0],
    [K.QUEUE_GET, t(7900), t(9000), 3, QUEUE, MSG, 0],
    [K.QUEUE_PUT, t(8000), t(8100), 0, QUEUE, MSG, 0],
    [K.PIPE_RECV, t(9400), t(10000), 0, PIPE, PIPE_KEY, 0],
    [K.PIPE_SEND, t(9500), t(9600), 3, PIPE, PIPE_KEY, 0],
    [K.TASK_SUBMIT, t(11000), t(11000), 0, TASK, POOL, s.intern('square')],
    [K.TASK_RUN, t(11500), t(13000), 3, TASK, s.intern('square'), s.intern('(3,)')],
    [K.TASK_RESULT, t(13500), t(13500), 0, TASK, 1, 0],
    [K.THREAD_JOIN, t(14000), t(14200), 0, 12, 1, 0],
    [K.PROCESS_JOIN, t(14500), t(15100), 0, P2, 0, 1],
    [K.PROCESS_EXIT, t(15000), t(15000), 3, P2, 0, 1],
    [K.IO_WRITE, t(16000), t(16000), 0, 0, s.intern('hello "world"\n'), 1],
    [K.LOCK_HOLD, t(14800), NaN, 4, L2, 0, 0], // never released
  ];
  rows.sort((x, y) => x[1] - y[1]);
  for (const [kind, ts, end, th, o, a, b] of rows) s.push(kind, ts, end, th, o, site, a, b);
  for (const us of [1000, 2000, 3000]) {
    for (const core of [0, 1]) s.push(K.SAMPLE_CORE, t(us), t(us), -1, core, -1, 25 * (core + 1), 0);
    s.push(K.SAMPLE_CPU, t(us), t(us), -1, P1, -1, 55.5, 12_345_678);
    s.push(K.SAMPLE_CPU, t(us), t(us), -1, P2, -1, 99.9, 23_456_789);
    s.push(K.SAMPLE_CPU, t(us), t(us), 1, P1, -1, 30, 3 + 256 * 82);
  }
  s.meta = { exitCode: 0, signal: null, argv: ['main.py'], startedAt: '2026-01-01T00:00:00Z', python: '3.12.3' };
  return s;
}

type Trace = ReturnType<typeof exportChrome>;
const META_NAMES = new Set(['process_name', 'process_sort_index', 'process_labels', 'thread_name', 'thread_sort_index']);
const isUint32 = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 2 ** 32;
const wholeNs = (us: number): boolean => Math.abs(us * 1000 - Math.round(us * 1000)) < 1e-3;

/** The Trace Event Format as Perfetto, chrome://tracing and DevTools read it, checked strictly. */
function checkShape(trace: Trace): void {
  const raw = JSON.stringify(trace.traceEvents);
  assert.doesNotMatch(raw, /:null[,}\]]/, 'a NaN or Infinity became null');
  assert.deepEqual(JSON.parse(raw), trace.traceEvents, 'the events survive a JSON round trip unchanged');
  const named = new Set<string>();
  const processes = new Set<number>();
  for (const e of trace.traceEvents) {
    if (e.name === 'process_name') processes.add(e.pid);
    if (e.name === 'thread_name') named.add(`${e.pid}:${e.tid}`);
  }
  const flows = new Map<number, ChromeEvent[]>();
  for (const e of trace.traceEvents) {
    const where = JSON.stringify(e);
    assert.ok(typeof e.name === 'string' && e.name.length > 0, `name: ${where}`);
    assert.ok(typeof e.ts === 'number' && Number.isFinite(e.ts) && e.ts >= 0 && wholeNs(e.ts), `ts: ${where}`);
    assert.ok(isUint32(e.pid), `pid: ${where}`);
    assert.ok(processes.has(e.pid), `pid without process_name: ${where}`);
    if (e.tid !== undefined) assert.ok(isUint32(e.tid), `tid: ${where}`);
    for (const v of Object.values(e.args ?? {})) if (typeof v === 'number') assert.ok(Number.isFinite(v), `arg: ${where}`);
    switch (e.ph) {
      case 'M':
        assert.ok(META_NAMES.has(e.name), `metadata name: ${where}`);
        if (e.name.startsWith('thread_')) assert.ok(isUint32(e.tid), `metadata tid: ${where}`);
        if (e.name.endsWith('_name')) assert.ok(typeof e.args?.name === 'string' && e.args.name.length > 0, `args.name: ${where}`);
        if (e.name.endsWith('_sort_index')) assert.ok(Number.isInteger(e.args?.sort_index), `sort_index: ${where}`);
        break;
      case 'X':
        assert.ok(typeof e.dur === 'number' && Number.isFinite(e.dur) && e.dur >= 0 && wholeNs(e.dur), `dur: ${where}`);
        assert.ok(typeof e.cat === 'string' && e.cat.length > 0, `cat: ${where}`);
        assert.ok(named.has(`${e.pid}:${e.tid}`), `slice on a thread without thread_name: ${where}`);
        break;
      case 'C': {
        const values = Object.values(e.args ?? {});
        assert.ok(values.length > 0 && values.every((v) => typeof v === 'number' && Number.isFinite(v)), `counter args: ${where}`);
        break;
      }
      case 's':
      case 'f':
        assert.ok(Number.isInteger(e.id) && typeof e.cat === 'string' && named.has(`${e.pid}:${e.tid}`), `flow: ${where}`);
        if (!flows.has(e.id!)) flows.set(e.id!, []);
        flows.get(e.id!)!.push(e);
        break;
      default:
        assert.fail(`unexpected phase: ${where}`);
    }
  }
  for (const [id, pair] of flows) {
    assert.deepEqual(pair.map((e) => e.ph), ['s', 'f'], `flow ${id}: one "s" then one "f"`);
    const [s, f] = pair;
    assert.equal(s.cat, f.cat, `flow ${id}: same cat`);
    assert.equal(s.name, f.name, `flow ${id}: same name`);
    assert.equal(f.bp, 'e', `flow ${id}: binds to the enclosing slice`);
    assert.ok(s.ts <= f.ts, `flow ${id}: Perfetto reads in time order and needs the start first`);
  }
}

interface Imported {
  slices: { track: string; name: string; start: number; dur: number }[];
  arrows: [string, string][];
  stats: { droppedOverlapping: number; flowNoEnclosingSlice: number; flowEndWithoutStart: number; flowDuplicateId: number };
}

/**
 * Perfetto's JSON importer, reduced to what decides nesting and flow binding (trace_processor:
 * json_trace_tokenizer.cc, json_trace_parser_impl.cc, slice_tracker.cc, flow_tracker.cc):
 * events are read in (ts in whole ns, file order); an "X" that starts inside the open slice
 * on top of its track and ends after it is dropped; "s" and "f" (bp "e") bind to the topmost
 * slice of their track's stack (ended slices stay until a later slice pops them); a flow whose
 * "f" comes before its "s" is lost; an arrow goes from the earlier-starting slice to the later.
 */
function perfettoImport(trace: Trace): Imported {
  const names = new Map<string, string>();
  const procs = new Map<number, string>();
  for (const e of trace.traceEvents) {
    if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, String(e.args!.name));
    if (e.name === 'process_name') procs.set(e.pid, String(e.args!.name));
  }
  const ordered = trace.traceEvents.map((e, i) => ({ e, i, ts: Math.round(e.ts * 1000) })).filter((x) => x.e.ph !== 'M')
    .sort((a, b) => a.ts - b.ts || a.i - b.i);
  type S = { track: string; name: string; start: number; dur: number };
  const stacks = new Map<string, S[]>();
  const out: Imported = { slices: [], arrows: [], stats: { droppedOverlapping: 0, flowNoEnclosingSlice: 0, flowEndWithoutStart: 0, flowDuplicateId: 0 } };
  const label = (s: S): string => `${s.name} @ ${s.track}`;
  const open = new Map<string, S>();
  for (const { e, ts } of ordered) {
    const track = `${procs.get(e.pid)}/${names.get(`${e.pid}:${e.tid ?? e.pid}`)}`;
    const stack = stacks.get(track) ?? [];
    stacks.set(track, stack);
    if (e.ph === 'X') {
      const dur = Math.round(e.dur! * 1000);
      let ok = true;
      for (let i = stack.length - 1; i >= 0; i--) {
        const p = stack[i];
        const end = p.start + p.dur;
        if (end < ts || (end === ts && !(p.dur === 0 && dur === 0))) {
          stack.pop();
          continue;
        }
        if (ts < end && ts + dur > end) ok = false;
      }
      if (!ok) {
        out.stats.droppedOverlapping++;
        continue;
      }
      const s = { track, name: e.name, start: ts, dur };
      stack.push(s);
      out.slices.push(s);
    } else if (e.ph === 's' || e.ph === 'f') {
      const top = stack.at(-1);
      const key = `${e.id}:${e.cat}:${e.name}`;
      if (!top) out.stats.flowNoEnclosingSlice++;
      else if (e.ph === 's') {
        if (open.has(key)) out.stats.flowDuplicateId++;
        else open.set(key, top);
      } else {
        const src = open.get(key);
        if (!src) out.stats.flowEndWithoutStart++;
        else out.arrows.push(src.start > top.start ? [label(top), label(src)] : [label(src), label(top)]);
      }
    }
  }
  return out;
}

const EXPECTED_ARROWS: [string, string][] = [
  ['process.spawn @ main.py/MainThread', 'process.start @ worker-proc/MainThread'],
  ['thread.spawn @ main.py/MainThread', 'thread @ main.py/Worker-1'],
  ['thread.spawn @ main.py/MainThread', 'thread @ main.py/Worker-2'],
  ['queue.put jobs @ main.py/MainThread', 'queue.get jobs returns @ worker-proc/MainThread'],
  ['pipe.send pipe @ worker-proc/MainThread', 'pipe.recv pipe returns @ main.py/MainThread'],
  ['task.submit @ main.py/MainThread', 'square @ worker-proc/MainThread'],
  ['square @ worker-proc/MainThread', 'task.result @ main.py/MainThread'],
  ['thread @ main.py/Worker-1', 'thread.join returns @ main.py/MainThread'],
  ['process.exit @ worker-proc/MainThread', 'process.join returns @ main.py/MainThread'],
];
const sortPairs = (pairs: string[][]): string[] => pairs.map((p) => p.join(' -> ')).sort();

test('the export is strict Trace Event Format: names, phases, finite µs times, paired flows', () => {
  const trace = exportChrome(sampleStore());
  checkShape(trace);
  const byName = (name: string) => trace.traceEvents.filter((e) => e.name === name);
  // µs since the first moment of the trace, whole ns kept.
  assert.equal(trace.metadata.clockOriginNs, T0);
  assert.deepEqual(byName('queue.put jobs').map((e) => [e.ts, e.dur]), [[8000, 100]]);
  const names = byName('process_name').map((e) => e.args!.name).sort();
  assert.deepEqual(names, ['CPU cores', 'main.py', 'worker-proc']);
  const threads = byName('thread_name').map((e) => e.args!.name).sort();
  assert.deepEqual(threads, ['MainThread', 'MainThread', 'Thread-1 "q"', 'Worker-1', 'Worker-1 (overlap 1)', 'Worker-2']);
  // Spans, waits, holds, tasks, sleeps, and the points.
  const slices = trace.traceEvents.filter((e) => e.ph === 'X');
  for (const n of ['hold L1', 'wait L1', 'hold RLock#1002', 'sleep', 'square', 'task.submit', 'task.result', 'io.write', 'queue.get jobs', 'pipe.send pipe'])
    assert.ok(slices.some((e) => e.name === n), n);
  // A span still open at the end lasts until its thread (or process) was last heard of.
  const open = slices.filter((e) => e.tid === 1_000_004);
  assert.deepEqual(open.map((e) => [e.name, e.ts + e.dur!]), [['thread', 15000], ['hold RLock#1002', 15000]]);
  // Counters: per core on the "CPU cores" process, per process CPU % and RSS.
  const counters = trace.traceEvents.filter((e) => e.ph === 'C');
  assert.deepEqual([...new Set(counters.map((e) => `${e.pid} ${e.name} ${Object.keys(e.args!)}`))].sort(),
    ['4100 CPU %', '4100 RSS MB', '4200 CPU %', '4200 RSS MB', '4201 CPU 0 %', '4201 CPU 1 %']);
  assert.equal(trace.traceEvents.filter((e) => e.ph === 's').length, EXPECTED_ARROWS.length);
});

test('under Perfetto\'s JSON import rules every slice nests and every flow binds where it should', () => {
  const imported = perfettoImport(exportChrome(sampleStore()));
  assert.deepEqual(imported.stats, { droppedOverlapping: 0, flowNoEnclosingSlice: 0, flowEndWithoutStart: 0, flowDuplicateId: 0 });
  assert.deepEqual(sortPairs(imported.arrows), sortPairs(EXPECTED_ARROWS));
  // The hand-over-hand hold went on its own track instead of being dropped.
  assert.ok(imported.slices.some((s) => s.name === 'hold RLock#1002' && s.track === 'main.py/Worker-1 (overlap 1)'));
});

test('Chrome DevTools\' trace engine loads it: processes, threads, slices and flows', async () => {
  const engine = '@paulirish/trace_engine/';
  const { polyfillDOMRect } = await import(`${engine}analyze-trace.mjs`);
  polyfillDOMRect();
  const Trace = await import(`${engine}models/trace/trace.js`);
  const trace = exportChrome(sampleStore());
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(JSON.parse(JSON.stringify(trace.traceEvents)));
  const data = model.parsedTrace().data;
  assert.equal(data.Meta.traceIsGeneric, true);
  const procs = new Map<number, string>([...data.Meta.processNames].map(([pid, e]: [number, ChromeEvent]) => [pid, String(e.args!.name)]));
  assert.deepEqual(procs, new Map([[4100, 'main.py'], [4200, 'worker-proc'], [4201, 'CPU cores']]));
  const seen: string[] = [];
  let entries = 0;
  for (const [pid, p] of data.Renderer.processes) {
    for (const [, th] of p.threads) {
      seen.push(`${procs.get(pid)}/${th.name}: ${th.entries.map((e: ChromeEvent) => e.name).join(', ')}`);
      entries += th.entries.length;
    }
  }
  assert.deepEqual(seen.sort(), [
    'main.py/MainThread: process.start, process.spawn, thread.spawn, thread.spawn, queue.put jobs, pipe.recv pipe, pipe.recv pipe returns, '
      + 'task.submit, task.result, thread.join, thread.join returns, process.join, process.join returns, io.write',
    'main.py/Worker-1 (overlap 1): hold RLock#1002',
    'main.py/Worker-1: thread, hold L1',
    'main.py/Worker-2: thread, wait L1, hold L1, sleep',
    'worker-proc/MainThread: process.start, queue.get jobs, queue.get jobs returns, pipe.send pipe, square, process.exit',
    'worker-proc/Thread-1 "q": thread, hold RLock#1002',
  ]);
  assert.equal(entries, trace.traceEvents.filter((e) => e.ph === 'X').length, 'every slice is on a thread');
  const label = (e: ChromeEvent) => {
    const th = data.Renderer.processes.get(e.pid).threads.get(e.tid);
    return `${e.name} @ ${procs.get(e.pid)}/${th.name}`;
  };
  const flows: string[][] = data.Flows.flows.map((f: ChromeEvent[]) => f.map(label).sort());
  assert.deepEqual(sortPairs(flows), sortPairs(EXPECTED_ARROWS.map((p) => [...p].sort())));
});

/** About n events of a busy run: holds, waits, queue hand-offs, pool tasks, sleeps, samples. */
function busyStore(n: number): TraceStore {
  const s = new TraceStore();
  const pids = [5000, 5001];
  pids.forEach((pid, k) => s.addProcess({ pid, ppid: k ? 5000 : 1, parentPid: k ? 5000 : 1, name: k ? 'SpawnProcess-1' : 'pipeline.py', argv: [],
    python: '3.12.3', startTs: 0, endTs: NaN, exited: false, exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: k * 4 }));
  for (let i = 0; i < 8; i++) {
    const pid = pids[i >> 2];
    s.addThread({ process: i >> 2, pid, ident: 100 + i, nativeId: pid + (i % 4), name: i % 4 ? `Worker-${i % 4}` : 'MainThread', startTs: 0, endTs: NaN,
      daemon: false, internal: false, main: i % 4 === 0, exception: null });
  }
  const site = s.addSite('/home/user/projects/pipeline/stages/transform.py', 123, 'run');
  s.objects.set(1, { id: 1, type: 'Lock', label: 'results_lock', pid: 5000, site });
  s.objects.set(2, { id: 2, type: 'Queue', label: 'work_queue', pid: 5000, site });
  const fn = s.intern('transform_record');
  const arg = s.intern('(record_17,)');
  let ts = 1_000_000;
  let msg = 1;
  while (s.length < n) {
    for (let th = 1; th < 8; th++) {
      if (th === 4) continue;
      ts += 1000;
      s.push(K.LOCK_WAIT, ts, ts + 400, th, 1, site, 1, 0);
      s.push(K.LOCK_HOLD, ts + 400, ts + 900, th, 1, site, 0, 0);
      s.push(K.QUEUE_PUT, ts + 950, ts + 990, th, 2, site, msg, 0);
      s.push(K.QUEUE_GET, ts + 960, ts + 1500, (th + 4) % 8 || 5, 2, site, msg++, 0);
      s.push(K.TASK_SUBMIT, ts + 100, ts + 100, 0, ts, site, 7, fn);
      s.push(K.TASK_RUN, ts + 200, ts + 800, 4, ts, site, fn, arg);
      s.push(K.TASK_RESULT, ts + 850, ts + 850, 0, ts, site, 1, 0);
      s.push(K.SLEEP, ts + 1500, ts + 1900, th, 0, site, 400, 0);
      if (th === 1) for (const pid of pids) s.push(K.SAMPLE_CPU, ts, ts, -1, pid, -1, 87.5, 45_000_000);
      if (th === 1) for (let core = 0; core < 4; core++) s.push(K.SAMPLE_CORE, ts, ts, -1, core, -1, 62.5, 0);
    }
  }
  return s;
}

test('200k events export to a few tens of MB, quickly, and still import cleanly', (t) => {
  const store = busyStore(200_000);
  const started = performance.now();
  const trace = exportChrome(store);
  const json = JSON.stringify(trace);
  const ms = performance.now() - started;
  const mb = Buffer.byteLength(json) / 1e6;
  t.diagnostic(`${store.length} events -> ${mb.toFixed(1)} MB (${Math.round(Buffer.byteLength(json) / store.length)} B/event) in ${Math.round(ms)} ms`);
  assert.ok(mb < 45, `${mb} MB`);
  assert.ok(ms < 15_000, `${ms} ms`);
  // Every hold, get and task still nests and every hand-off still binds at that size.
  const imported = perfettoImport(trace);
  assert.deepEqual(imported.stats, { droppedOverlapping: 0, flowNoEnclosingSlice: 0, flowEndWithoutStart: 0, flowDuplicateId: 0 });
  assert.equal(imported.arrows.length, trace.traceEvents.filter((e) => e.ph === 's').length);
});

/**
 * `threads` threads started and joined one after another (CPython reuses their ident), each holding a
 * lock once; with the spawn and join arrows between them (what computeFlows finds there).
 */
function sequentialThreads(threads: number): { store: TraceStore; flows: Flow[] } {
  const s = new TraceStore();
  const end = threads * 1000 + 10;
  const p = s.addProcess({ pid: 10, ppid: 1, parentPid: 1, name: 'seq.py', argv: [], python: '3.12.3', startTs: 0, endTs: end, exited: true,
    exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: 0 });
  s.addThread({ process: p.index, pid: 10, ident: 1, nativeId: 10, name: 'MainThread', startTs: 0, endTs: end, daemon: false, internal: false, main: true, exception: null });
  s.objects.set(5, { id: 5, type: 'Lock', label: 'lock', pid: 10, site: -1 });
  const flows: Flow[] = [];
  for (let i = 0; i < threads; i++) {
    const t0 = i * 1000;
    const t = s.addThread({ process: 0, pid: 10, ident: 99, nativeId: 1000 + i, name: `Thread-${i}`, startTs: t0 + 1, endTs: t0 + 500, daemon: false,
      internal: false, main: false, exception: null });
    const spawn = s.push(K.THREAD_SPAWN, t0, t0 + 2, 0, 99, -1, 0, 0);
    const start = s.push(K.THREAD_START, t0 + 1, t0 + 500, t.index, 1000 + i, -1, 0, 0);
    s.push(K.LOCK_HOLD, t0 + 10, t0 + 20, t.index, 5, -1, 0, 0);
    const join = s.push(K.THREAD_JOIN, t0 + 3, t0 + 501, 0, 99, -1, 1, 0);
    flows.push({ kind: 'spawn', from: spawn, fromTs: t0, fromThread: 0, to: start, toTs: t0 + 1, toThread: t.index });
    flows.push({ kind: 'join', from: start, fromTs: t0 + 500, fromThread: t.index, to: join, toTs: t0 + 501, toThread: 0 });
  }
  return { store: s, flows };
}

test('the export\'s own work is linear in sequential threads (quadrupling the threads at most ~quadruples the time)', () => {
  // Flows are given: this times what the export itself does (computeFlows is analysis's, timed there).
  const time = (threads: number): number => {
    const { store, flows } = sequentialThreads(threads);
    const runs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      exportChrome(store, { flows });
      runs.push(performance.now() - t0);
    }
    return Math.min(...runs); // the least disturbed run: other load only ever adds time
  };
  time(1000); // warm up the JIT
  const small = time(2000);
  const large = time(8000);
  // Linear: ×4; quadratic: ×16. Loose enough for a loaded 2-core machine.
  assert.ok(large / small < 9, `2k threads ${small.toFixed(0)} ms, 8k threads ${large.toFixed(0)} ms`);
  const { store, flows } = sequentialThreads(50);
  const trace = exportChrome(store, { flows });
  assert.equal(trace.traceEvents.filter((e) => e.name === 'thread_name').length, 51);
  assert.equal(trace.traceEvents.filter((e) => e.ph === 's').length, 100);
  checkShape(trace);
  assert.deepEqual(perfettoImport(trace).stats, { droppedOverlapping: 0, flowNoEnclosingSlice: 0, flowEndWithoutStart: 0, flowDuplicateId: 0 });
});
