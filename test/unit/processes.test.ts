import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settleProcesses, tracerProblemLine, tracerProblems } from '../../src/core/analysis/processes';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

function proc(s: TraceStore, pid: number, ppid: number): void {
  const p = s.addProcess({ pid, ppid, parentPid: ppid, name: `p${pid}`, argv: [], python: '', startTs: 0, endTs: 10, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  p.mainThread = s.addThread({ process: p.index, pid, ident: pid, nativeId: pid, name: 'Main', startTs: 0, endTs: NaN, daemon: false, internal: false, main: true, exception: null }).index;
}

test('exit codes come from the parent join, signals as negative codes, the root from the launcher', () => {
  const s = new TraceStore();
  proc(s, 1, 0);
  proc(s, 2, 99); // forkserver child: its OS parent is not the spawner
  proc(s, 3, 1);
  s.push(K.PROCESS_SPAWN, 1, 2, 0, 2, -1, 0, 0);
  s.push(K.PROCESS_JOIN, 3, 4, 0, 2, -1, -15, 1);
  settleProcesses(s, 1, 0, null, () => true);
  assert.equal(s.processByPid(2)!.parentPid, 1);
  assert.equal(s.processByPid(2)!.exitCode, -15);
  assert.equal(s.processByPid(2)!.signal, 15);
  assert.equal(s.processByPid(1)!.exitCode, 0);
  assert.equal(s.processByPid(3)!.exited, false, 'still alive: an orphan that runs on');
});

test('a process killed from outside with nobody to join it ends, code unknown', () => {
  const s = new TraceStore();
  proc(s, 1, 0);
  proc(s, 2, 1);
  settleProcesses(s, 1, null, 15, () => false);
  assert.equal(s.processByPid(2)!.exited, true);
  assert.equal(s.processByPid(2)!.exitCode, null);
  assert.equal(s.processByPid(1)!.exitCode, -15);
});

test('a child started and ended before its tracer wrote anything is a process of the trace, never traced, with its parent\'s exit code', () => {
  const s = new TraceStore();
  proc(s, 1, 0);
  s.push(K.PROCESS_SPAWN, 100, 110, 0, 2, -1, 0, 0);      // p.start() of pid 2: no event file of its own
  s.push(K.PROCESS_TERMINATE, 120, 120, 0, 2, -1, 15, 0);
  s.push(K.PROCESS_JOIN, 125, 130, 0, 2, -1, -15, 1);
  const python = s.intern('["/usr/bin/python3", "-c", "pass"]');
  const ls = s.intern('["ls", "-l"]');
  s.push(K.CHILD_PROCESS, 140, 140, 0, 3, -1, python, 0);   // a Python subprocess killed at once
  s.push(K.CHILD_PROCESS, 150, 150, 0, 4, -1, ls, 0);       // not Python: not a traced process
  s.push(K.CHILD_PROCESS, 160, 160, 0, 5, -1, 0, 0);        // os.fork(): Python
  settleProcesses(s, 1, 0, null, () => false);
  const child = s.processByPid(2)!;
  assert.ok(child, 'known from its parent');
  assert.equal(child.parentPid, 1);
  assert.equal(child.exitCode, -15);
  assert.equal(child.signal, 15);
  assert.equal(child.exited, true);
  assert.equal(child.startTs, 110);
  assert.equal(child.endTs, 130);
  assert.ok(s.processByPid(3), 'a Python subprocess');
  assert.equal(s.processByPid(3)!.name, 'python -c');
  assert.equal(s.processByPid(4), undefined, 'ls is not traced by us');
  assert.ok(s.processByPid(5), 'a forked child');
  const untraced = s.rowsOf(K.TRACER_STATUS).map((r) => [s.obj[r], s.a[r]]);
  assert.deepEqual(untraced, [[2, 5], [3, 5], [5, 5]]);
  assert.match(tracerProblemLine(s)!, /3 processes never traced/);
  settleProcesses(s, 1, 0, null, () => false);
  assert.equal(s.rowsOf(K.TRACER_STATUS).length, 3, 'settling twice adds nothing');
});

test('the root process is in the trace even when it could not write a record', () => {
  const s = new TraceStore();
  settleProcesses(s, 77, 3, null, () => false);
  assert.equal(s.processByPid(77)!.exitCode, 3);
  assert.equal(tracerProblems(s)[0].kind, 'never-traced');
});

test('a part of a traced process its runtime could not trace (TRACER_NOTE) is said with its reason', () => {
  const s = new TraceStore();
  proc(s, 1, 0);
  s.push(K.TRACER_NOTE, 5, 5, 0, 1, -1, s.intern('dask.distributed: tasks of workers this run does not trace are untraced: registering the tracer\'s worker plugin failed (OSError)'), 0);
  const [p] = tracerProblems(s);
  assert.equal(p.kind, 'note');
  assert.match(p.text, /^pid 1 \(p1\): dask\.distributed: .*plugin failed \(OSError\)$/);
  assert.match(tracerProblemLine(s)!, /^trace incomplete: 1 part untraced — pid 1/);
});
