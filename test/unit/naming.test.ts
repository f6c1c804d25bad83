/** The words for processes, threads and objects (core/naming) and the summary that prints them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldNames, Naming, programWords } from '../../src/core/naming/index';
import { K, SAMPLE_CPU } from '../../src/core/trace/recordKinds';
import { buildSummary, formatSummary } from '../../src/core/export/summary';
import { TraceStore } from '../../src/core/trace/traceStore';
import type { ProcessInfo } from '../../src/core/trace/traceModel';

function proc(s: TraceStore, pid: number, parent: number, name: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const p = s.addProcess({ pid, ppid: parent, parentPid: parent, name, argv: [], python: '', startTs: 10, endTs: 1000, exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1, ...extra });
  const t = s.addThread({ process: p.index, pid, ident: pid * 10, nativeId: pid, name: 'MainThread', startTs: 10, endTs: 1000, daemon: false, internal: false, main: true, exception: null });
  p.mainThread = t.index;
  return p;
}

function thread(s: TraceStore, p: ProcessInfo, name: string, internal = false): number {
  return s.addThread({ process: p.index, pid: p.pid, ident: s.threads.length + 1, nativeId: 5000 + s.threads.length, name, startTs: 20, endTs: 900, daemon: true, internal, main: false, exception: null }).index;
}

test('a multiprocessing child is named by the function it runs, a subprocess child by its script', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'bank.py');
  const child = proc(s, 2, 1, 'Process-1');
  const script = proc(s, 3, 1, 'other.py');
  s.push(K.PROCESS_SPAWN, 20, 30, root.mainThread, 2, -1, 0, 0);
  s.push(K.CHILD_PROCESS, 20, 20, root.mainThread, 3, -1, s.intern('["python3","other.py"]'), 0);
  const mod = s.addSite('/x/bank.py', 3, '<module>');
  const fn = s.addSite('/x/bank.py', 9, 'deposit');
  s.push(K.SHARED_READ, 40, 40, child.mainThread, 7, mod, 0, 0);
  s.push(K.SHARED_READ, 50, 50, child.mainThread, 7, fn, 0, 0);
  s.push(K.SHARED_READ, 60, 60, script.mainThread, 7, fn, 0, 0);
  const n = new Naming(s).update();
  assert.deepEqual([n.words.process(root).label, n.words.process(root).role], ['bank.py', 'main']);
  assert.deepEqual([n.words.process(child).label, n.words.process(child).name], ['deposit()', 'Process-1']);
  assert.equal(n.words.process(script).label, 'other.py');
});

test('pool workers are workers of their pool, numbered in start order; a pool shutdown is not an alarm', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'pool.py');
  s.objects.set(77, { id: 77, type: 'Pool', label: 'Pool(2)', pid: 1, site: -1 });
  const w1 = proc(s, 12, 1, 'ForkPoolWorker-2', { signal: 15, exitCode: -15 });
  const w2 = proc(s, 11, 1, 'ForkPoolWorker-1');
  s.push(K.PROCESS_SPAWN, 20, 30, root.mainThread, 12, -1, 77, 0);
  s.push(K.PROCESS_SPAWN, 31, 40, root.mainThread, 11, -1, 77, 0);
  s.push(K.PROCESS_TERMINATE, 900, 900, root.mainThread, 12, -1, 15, 0);
  const n = new Naming(s).update();
  const a = n.words.process(w1);
  assert.equal(a.label, 'Pool(2) worker 1');
  assert.equal(a.name, 'ForkPoolWorker-2');
  assert.equal(a.ended, 'stopped by Pool(2) shutdown');
  assert.equal(a.failed, false);
  assert.match(a.endedWhy, /with Pool\(2\) as/);
  assert.equal(n.words.process(w2).label, 'Pool(2) worker 2');
  assert.equal(n.words.process(w2).ended, 'exit 0');
});

test("dask.distributed's worker processes are dask workers numbered in start order, never named by a library function they ran", () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'cluster.py');
  const second = proc(s, 22, 1, 'Dask Worker process (from Nanny)');
  const first = proc(s, 21, 1, 'Dask Worker process (from Nanny)');
  const child = proc(s, 23, 1, 'Process-3');
  s.push(K.PROCESS_SPAWN, 30, 40, root.mainThread, 22, -1, 0, 0);
  s.push(K.PROCESS_SPAWN, 20, 30, root.mainThread, 21, -1, 0, 0);
  s.push(K.PROCESS_SPAWN, 35, 45, root.mainThread, 23, -1, 0, 0);
  const lib = s.addSite('/usr/lib/python3/dist-packages/distributed/worker.py', 500, '__init__');
  for (const p of [first, second, child]) s.push(K.SHARED_READ, 50, 50, p.mainThread, 7, lib, 0, 0);
  const n = new Naming(s).update();
  assert.deepEqual([first, second].map((p) => n.words.process(p)).map((w) => [w.label, w.name, w.role]), [
    ['dask worker 1', 'Dask Worker process (from Nanny)', 'worker'],
    ['dask worker 2', 'Dask Worker process (from Nanny)', 'worker'],
  ]);
  assert.equal(n.words.process(child).label, 'Process-3', "a library's first line is not what the child runs");
});

test('how processes end: terminate() asked for, a kill from outside, a helper without a code, still running', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'main.py');
  const asked = proc(s, 2, 1, 'Process-1', { signal: 15, exitCode: -15 });
  const killed = proc(s, 3, 1, 'Process-2', { signal: 9, exitCode: -9 });
  const helper = proc(s, 4, 1, 'forkserver', { internal: true, exitCode: null });
  const orphan = proc(s, 5, 1, 'Process-3', { exited: false, exitCode: null });
  const failed = proc(s, 6, 1, 'Process-4', { exitCode: 3 });
  s.push(K.PROCESS_TERMINATE, 500, 500, root.mainThread, 2, -1, 15, 0);
  const n = new Naming(s).update();
  assert.deepEqual([n.words.process(asked).ended, n.words.process(asked).failed], ['terminated by terminate()', false]);
  assert.deepEqual([n.words.process(killed).ended, n.words.process(killed).failed], ['killed by SIGKILL', true]);
  assert.deepEqual([n.words.process(helper).ended, n.words.process(helper).role], ['ended with the program', 'helper']);
  assert.equal(n.words.process(orphan).ended, 'still running at the end');
  assert.equal(n.words.process(orphan, false).ended, 'running');
  assert.deepEqual([n.words.process(failed).ended, n.words.process(failed).failed], ['exit 3', true]);
});

test('a Manager server and its threads: named for what they do, never like processes', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'mgr.py');
  const server = proc(s, 2, 1, 'SyncManager-1');
  const client = proc(s, 3, 1, 'Process-2');
  s.push(K.PROCESS_SPAWN, 20, 30, root.mainThread, 3, -1, 0, 0);
  s.push(K.SHARED_WRITE, 50, 50, client.mainThread, 7, s.addSite('/x/mgr.py', 4, 'add'), 0, 0);
  const acc = thread(s, server, 'Thread-1 (accepter)', true);
  const main = thread(s, server, 'MainProcess', true);
  const other = thread(s, server, 'Process-2', true);
  const n = new Naming(s).update();
  assert.deepEqual([n.words.process(server).label, n.words.process(server).role], ['Manager server', 'manager']);
  assert.equal(n.words.thread(s.threads[acc]).label, 'accepts connections');
  assert.equal(n.words.thread(s.threads[main]).label, 'serves mgr.py');
  assert.equal(n.words.thread(s.threads[other]).label, 'serves add() (Process-2)');
  assert.ok([acc, main, other].every((t) => n.words.thread(s.threads[t]).helper));
});

test('helper threads: queue feeders say which queue, pool handlers are the pool\'s, a thread-pool worker its pool\'s', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'q.py');
  s.objects.set(900, { id: 900, type: 'multiprocessing.Queue', label: 'results', pid: 1, site: -1 });
  s.objects.set(901, { id: 901, type: 'ThreadPoolExecutor', label: 'ThreadPoolExecutor(2)', pid: 1, site: -1 });
  const feeder = thread(s, root, 'QueueFeederThread', true);
  const handler = thread(s, root, 'Thread-2 (_handle_tasks)', true);
  const worker = thread(s, root, 'ThreadPoolExecutor-0_1');
  const mine = thread(s, root, 'downloader');
  s.push(K.PIPE_SEND, 30, 31, feeder, 900, -1, 1, 0);
  s.push(K.TASK_RUN, 40, 50, worker, 5, -1, 0, 0);
  s.push(K.TASK_SUBMIT, 35, 35, root.mainThread, 5, -1, 901, 0);
  const n = new Naming(s).update();
  assert.equal(n.words.thread(s.threads[feeder]).label, 'feeds results');
  assert.equal(n.words.thread(s.threads[handler]).label, "Pool's task handler");
  const w = n.words.thread(s.threads[worker]);
  assert.deepEqual([w.label, w.name, w.helper], ['ThreadPoolExecutor(2) worker 2', 'ThreadPoolExecutor-0_1', false]);
  assert.deepEqual([n.words.thread(s.threads[mine]).label, n.words.thread(s.threads[mine]).helper], ['downloader', false]);
});

test('objects by the name the user gave them, numbered when two share one', () => {
  const s = new TraceStore();
  s.objects.set(1, { id: 1, type: 'Lock', label: 'lock', pid: 1, site: -1 });
  s.objects.set(2, { id: 2, type: 'Lock', label: 'lock', pid: 1, site: -1 });
  s.objects.set(3, { id: 3, type: 'Queue', label: '', pid: 1, site: -1 });
  const n = new Naming(s);
  assert.deepEqual([n.objects.name(1), n.objects.name(2), n.objects.name(3), n.objects.name(4)], ['lock', 'lock#2', 'Queue', '#4']);
});

test('long lists of names are folded with counts', () => {
  const many = ['MainThread', ...Array.from({ length: 200 }, (_, i) => `worker-${i}`), 'QueueFeederThread'];
  assert.equal(foldNames(many), 'MainThread, worker-0 … worker-199 (200), QueueFeederThread');
  assert.equal(foldNames(['a', 'b', 'a', 'a']), 'a ×3, b');
  assert.equal(foldNames(['t1x', 't2x']), 't1x, t2x', 'two of a family are shown as they are');
  assert.equal(foldNames(['a', 'b', 'c', 'd'], 2), 'a, b and 2 more');
});

test('a program started with subprocess that wrote no trace is named by its command and its exit', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'p.py');
  const child = s.push(K.CHILD_PROCESS, 20, 20, root.mainThread, 55, -1, s.intern('["/usr/bin/uname","-p"]'), 0);
  const join = s.push(K.PROCESS_JOIN, 21, 25, root.mainThread, 55, -1, 0, 1);
  const n = new Naming(s).update();
  assert.deepEqual(n.facts.childPrograms(s).map((c) => c.pid), [55]);
  assert.deepEqual(programWords(s, child, join), { label: 'uname -p', command: '/usr/bin/uname -p', ended: 'exit 0', failed: false });
});

test('summary: words, folded thread lists, CPU per thread, gets apart from failed gets, untraced programs', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'main.py');
  for (let i = 0; i < 30; i++) thread(s, root, `worker-${i}`);
  thread(s, root, 'QueueFeederThread', true);
  s.objects.set(900, { id: 900, type: 'queue.Queue', label: 'jobs', pid: 1, site: -1 });
  s.push(K.QUEUE_PUT, 30, 30, root.mainThread, 900, -1, 1, 0);
  s.push(K.QUEUE_GET, 40, 40, 1, 900, -1, 1, 0);
  s.push(K.QUEUE_GET, 50, 60, 2, 900, -1, 0, 1); // timed out
  s.push(K.CHILD_PROCESS, 20, 20, root.mainThread, 55, -1, s.intern('["lscpu"]'), 0);
  // Two samples of thread 1: 50 % over 100 ms after a first one (its 50 ms window at 100 %).
  s.push(SAMPLE_CPU, 100e6, 100e6, 1, 1, -1, 100, 0);
  s.push(SAMPLE_CPU, 200e6, 200e6, 1, 1, -1, 50, 0);
  const sum = buildSummary(s);
  assert.deepEqual(sum.queues.map((q) => [q.name, q.puts, q.gets, q.failedGets]), [['jobs', 1, 1, 1]]);
  assert.equal(sum.threads[1].cpuMs, 100, '50 ms + 50 ms');
  assert.deepEqual(sum.programs.map((p) => [p.pid, p.ppid, p.command]), [[55, 1, 'lscpu']]);
  const text = formatSummary(sum);
  assert.match(text, /threads: MainThread, worker-0 … worker-29 \(30\) · 1 helper: queue feeder/);
  assert.match(text, /55 lscpu \(not traced\)/);
  assert.match(text, /failed gets \(empty \/ timeout\)/);
  assert.ok(text.split('\n').every((l) => l.length < 200), 'no line of hundreds of names');
});

test('the two ends of a Pipe() by the names they were given, else numbered', () => {
  const s = new TraceStore();
  const root = proc(s, 1, 0, 'p.py');
  s.objects.set(5, { id: 5, type: 'Pipe', label: 'parent_end, child_end', pid: 1, site: -1 });
  s.objects.set(7, { id: 7, type: 'Pipe', label: 'p', pid: 1, site: -1 });
  s.push(K.PIPE_OPEN, 10, 10, root.mainThread, 5, -1, 5, 6);
  s.push(K.PIPE_OPEN, 10, 10, root.mainThread, 7, -1, 7, 8);
  const n = new Naming(s).update();
  assert.deepEqual([n.objects.name(5), n.objects.name(6), n.objects.name(7), n.objects.name(8)], ['parent_end', 'child_end', 'p[0]', 'p[1]']);
});
