/**
 * A made-up trace with every kind the timeline draws — spans of every state,
 * points, flows of every kind, asyncio tasks, CPU samples, stdout — at any
 * size (the benchmark uses 200 000 events). Deterministic.
 */
import { K } from '../../src/core/trace/recordKinds';
import { encodeThreadSample } from '../../src/core/run/threadSample';
import type { ProcessInfo } from '../../src/core/trace/traceModel';
import { TraceStore } from '../../src/core/trace/traceStore';

export interface SyntheticOptions {
  /** Roughly how many events (rows) to make. */
  events: number;
  workers?: number;
  cores?: number;
  /** Name of the first worker thread (for the HTML-injection test). */
  threadName?: string;
  /** Text of the first print. */
  firstPrint?: string;
}

export const SCRIPT_FILE = '/work/example/synthetic_app.py';
const MS = 1e6;

export function syntheticStore(o: SyntheticOptions): TraceStore {
  const s = new TraceStore();
  const workers = o.workers ?? 4;
  const cores = o.cores ?? 4;
  s.meta = { exitCode: 0, signal: null, argv: ['python3', SCRIPT_FILE], startedAt: '2024-01-01T00:00:00.000Z', python: '3.12.0' };
  const site = (line: number, func: string): number => s.addSite(SCRIPT_FILE, line, func);
  const str = (t: string): number => s.intern(t);
  const proc = (pid: number, parentPid: number, name: string, internal = false): ProcessInfo =>
    s.addProcess({ pid, ppid: parentPid, parentPid, name, argv: ['python3', SCRIPT_FILE], python: '3.12', startTs: 0, endTs: 0, exited: true,
      exitCode: 0, signal: null, internal, wallNsAtStart: null, mainThread: -1 });
  const thread = (p: ProcessInfo, ident: number, nativeId: number, name: string, internal = false): number => {
    const t = s.addThread({ process: p.index, pid: p.pid, ident, nativeId, name, startTs: 0, endTs: NaN, daemon: internal, internal, main: p.mainThread < 0, exception: null });
    if (p.mainThread < 0) p.mainThread = t.index;
    return t.index;
  };
  const obj = (id: number, type: string, label: string): number => {
    s.objects.set(id, { id, type, label, pid: 1000, site: -1 });
    return id;
  };
  const LOCK = obj(101, 'Lock', 'balance_lock');
  const QUEUE = obj(102, 'Queue', 'jobs');
  const COND = obj(103, 'Condition', 'ready_cv');
  const EVENT = obj(104, 'Event', 'done');
  const BARRIER = obj(105, 'Barrier', 'start_line');
  const POOL = obj(106, 'Pool', 'Pool(4)');
  const CHANNEL = obj(107, 'Pipe', 'results_pipe');
  const VALUE = obj(108, 'Value', 'counter');
  obj(109, 'Lock', ''); // unnamed: shown by its type, Lock

  const main = proc(1000, 1, 'synthetic_app.py');
  const mainT = thread(main, 1, 1000, 'MainThread');
  const helper = proc(1001, 1000, 'forkserver', true);
  const helperT = thread(helper, 1, 1001, 'MainThread');
  const child = proc(1002, 1000, 'Process-1');
  const childT = thread(child, 1, 1002, 'MainThread');
  const feeder = thread(child, 2, 1003, 'QueueFeederThread', true);
  const pool = proc(1004, 1002, 'SpawnPoolWorker-1');
  const poolT = thread(pool, 1, 1004, 'MainThread');
  const ws: number[] = [];
  for (let i = 0; i < workers; i++) ws.push(thread(main, 100 + i, 2000 + i, i === 0 && o.threadName ? o.threadName : `worker-${i}`));
  const loop = thread(main, 99, 1999, 'asyncio-loop');

  // Rows must be pushed in time order per thread; a global clock keeps it simple.
  let now = 1 * MS;
  const tick = (ns: number): number => (now += ns);
  const push = (kind: number, t: number, dur: number | null, th: number, o2: number, st: number, a: number, b: number): number =>
    s.push(kind, t, dur === null ? t : t + dur, th, o2, st, a, b);

  // Process and thread starts.
  for (const p of [main, helper, child, pool]) {
    p.startTs = now;
    push(K.PROCESS_START, tick(0.2 * MS), null, p.mainThread, p.pid, -1, p.ppid, 0);
  }
  const lifeRows: number[] = [];
  for (let t = 0; t < s.threads.length; t++) {
    const th = s.threads[t];
    th.startTs = tick(0.1 * MS);
    lifeRows.push(push(K.THREAD_START, th.startTs, NaN, t, th.nativeId, -1, str(th.name), th.internal ? 2 : 0));
  }
  push(K.PROCESS_SPAWN, tick(0.1 * MS), 0.3 * MS, mainT, child.pid, site(12, '<module>'), 0, 0);
  tick(0.4 * MS);
  push(K.PROCESS_SPAWN, tick(2.5 * MS), 1 * MS, childT, pool.pid, site(30, 'run_pool'), POOL, 0);
  for (let i = 0; i < ws.length; i++) push(K.THREAD_SPAWN, tick(0.05 * MS), 0.04 * MS, mainT, 100 + i, site(14, '<module>'), 0, 0);

  let msg = 1;
  let task = 1;
  let asyncTask = 500;
  let step = 0;
  const lastSample = new Map<number, number>();
  const nextSampleAt = { t: now + 50 * MS };
  while (s.length < o.events) {
    const w = ws[step % ws.length];
    const other = ws[(step + 1) % ws.length];
    // One round on a worker: wait for and hold the lock, put a job, another worker gets it.
    const t0 = tick(1.6 * MS);
    push(K.LOCK_WAIT, t0, 0.2 * MS, w, step % 7 === 0 ? 109 : LOCK, site(20, 'deposit'), 1, 0);
    push(K.LOCK_HOLD, t0 + 0.2 * MS, 0.5 * MS, w, LOCK, site(20, 'deposit'), 0, 0);
    push(K.SHARED_READ, t0 + 0.3 * MS, null, w, VALUE, site(21, 'deposit'), -(2 ** 51 + step), 0);
    push(K.SHARED_WRITE, t0 + 0.35 * MS, null, w, VALUE, site(21, 'deposit'), -(2 ** 51 + step + 1), 0);
    push(K.QUEUE_PUT, t0 + 0.4 * MS, 0.05 * MS, w, QUEUE, site(22, 'deposit'), msg, 0);
    push(K.QUEUE_GET, t0 + 0.3 * MS, 0.3 * MS, other, QUEUE, site(40, 'consume'), msg++, 0);
    push(K.SLEEP, t0 + 0.8 * MS, 0.4 * MS, w, 0, site(23, 'deposit'), 0.4 * MS, 0);
    push(K.COND_WAIT, t0 + 0.7 * MS, 0.2 * MS, other, COND, site(41, 'consume'), 1, 0);
    push(K.EVENT_WAIT, t0 + 1.0 * MS, 0.1 * MS, other, EVENT, site(42, 'consume'), 1, 0);
    push(K.COND_NOTIFY, t0 + 1.15 * MS, null, other, COND, site(43, 'consume'), 1, 0);
    if (step % 5 === 0) push(K.BARRIER_WAIT, t0 + 1.3 * MS, 0.2 * MS, w, BARRIER, site(24, 'deposit'), step % 4, 0);
    if (step % 3 === 0) {
      // A pool task: submitted by the child's main thread, run on the pool worker, result back.
      push(K.TASK_SUBMIT, t0, null, childT, task, site(31, 'run_pool'), POOL, str('square'));
      push(K.TASK_RUN, t0 + 0.1 * MS, 0.6 * MS, poolT, task, -1, str('square'), str(String(step)));
      push(K.TASK_RESULT, t0 + 0.8 * MS, null, childT, task++, -1, 1, 0);
      const key = 4096 * 2 ** 32 + step;
      push(K.PIPE_SEND, t0 + 0.2 * MS, 0.05 * MS, feeder, CHANNEL, -1, key, 0);
      push(K.PIPE_RECV, t0 + 0.25 * MS, 0.1 * MS, helperT, CHANNEL, site(50, 'serve'), key, 0);
    }
    if (step % 4 === 0) {
      const id = asyncTask++;
      push(K.ASYNC_CREATE, t0, null, loop, id, site(60, 'main'), str(`fetch-${id}`), str('fetch'));
      push(K.ASYNC_RUN, t0 + 0.05 * MS, 0.1 * MS, loop, id, -1, 0, 0);
      push(K.ASYNC_RUN, t0 + 0.5 * MS, 0.1 * MS, loop, id, -1, 0, 0);
      push(K.ASYNC_END, t0 + 0.65 * MS, null, loop, id, -1, 1, 0);
    }
    if (step % 6 === 0) {
      const text = step === 0 && o.firstPrint !== undefined ? o.firstPrint : `worker ${step % ws.length} deposited ${step}\n`;
      push(K.IO_WRITE, t0 + 0.6 * MS, null, w, 0, site(25, 'deposit'), str(text), step % 12 === 0 ? 1 : 2);
    }
    if (step === 0) push(K.LOCK_TRY_FAIL, t0 + 0.1 * MS, null, other, LOCK, site(44, 'consume'), 0, 0);
    if (now >= nextSampleAt.t) {
      const ts = nextSampleAt.t;
      nextSampleAt.t += 50 * MS;
      for (let c = 0; c < cores; c++) push(K.SAMPLE_CORE, ts, null, -1, c, -1, (37 * c + step) % 100, 0);
      for (let i = 0; i < ws.length; i++) {
        push(K.SAMPLE_CPU, ts, null, ws[i], main.pid, -1, (step * 13 + i * 29) % 100, encodeThreadSample((i + step) % cores, i % 2 ? 'R' : 'S'));
        lastSample.set(ws[i], ts);
      }
      push(K.SAMPLE_CPU, ts, null, -1, main.pid, -1, 150, 50e6);
    }
    step++;
  }
  const end = tick(2 * MS);
  for (let i = 0; i < ws.length; i++) push(K.THREAD_JOIN, end - 1 * MS + i * 0.2 * MS, 0.15 * MS, mainT, 100 + i, site(16, '<module>'), 1, 0);
  push(K.PROCESS_JOIN, end + 0.2 * MS, 0.5 * MS, mainT, child.pid, site(17, '<module>'), 0, 1);
  for (const [t, row] of lifeRows.entries()) {
    if (s.threads[t].index === mainT) continue;
    s.update(row, end - 1.2 * MS, s.a[row], s.b[row]);
    s.threads[t].endTs = end - 1.2 * MS;
  }
  for (const p of [main, helper, child, pool]) {
    p.endTs = end + 1 * MS;
    push(K.PROCESS_EXIT, p.endTs - 0.1 * MS, null, p.mainThread, p.pid, -1, 0, 1);
  }
  s.threads[mainT].endTs = end + 1 * MS;
  s.update(lifeRows[mainT], end + 1 * MS, s.a[lifeRows[mainT]], s.b[lifeRows[mainT]]);
  return s;
}
