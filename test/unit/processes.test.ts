import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settleProcesses } from '../../src/core/analysis/processes';
import { K } from '../../src/core/recordKinds';
import { TraceStore } from '../../src/core/traceStore';

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
