import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportChrome, type ChromeEvent } from '../../src/core/export/chrome';
import { K } from '../../src/core/recordKinds';
import { TraceStore } from '../../src/core/traceStore';

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
export function sampleStore(): TraceStore {
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
