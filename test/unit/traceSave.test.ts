/** Saving a trace in slices (the CLI answers signals meanwhile): same file, stoppable, nothing left when stopped. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { K } from '../../src/core/trace/recordKinds';
import { encodeTrace, readTrace } from '../../src/core/trace/traceFile';
import { ROWS_PER_CHUNK } from '../../src/core/trace/traceFormat';
import { SaveStopped, writeTraceYielding } from '../../src/core/trace/traceSave';
import { TraceStore } from '../../src/core/trace/traceStore';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-tracesave-'));

/** A trace of `events` lock holds: many event chunks, so a save of it spans many slices. */
function big(events: number): TraceStore {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'a.py', argv: ['python', 'a.py'], python: '3.11.7', startTs: 0, endTs: 100,
    exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: 1, mainThread: 0 });
  s.addThread({ process: p.index, pid: 1, ident: 5, nativeId: 1, name: 'MainThread', startTs: 0, endTs: NaN, daemon: false, internal: false, main: true, exception: null });
  s.addSite('/a.py', 3, '<module>');
  s.objects.set(9, { id: 9, type: 'Lock', label: 'lk', pid: 1, site: 0 });
  for (let i = 0; i < events; i++) s.push(K.LOCK_HOLD, i, i + 1, 0, 9, 0, 0, 0);
  s.meta = { exitCode: 0, signal: null, argv: ['a.py'], startedAt: 'now', python: '3.11.7' };
  return s;
}

const tempFiles = (): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));

test('a trace saved in slices is byte for byte the one writeTrace writes, and the event loop ran during the save', async () => {
  const store = big(ROWS_PER_CHUNK * 3);
  const file = path.join(dir, 'sliced.ctrace');
  let turns = 0;
  const tick = setImmediate(function again() {
    turns++;
    tickHandle = setImmediate(again);
  });
  let tickHandle = tick;
  let bytes: number;
  try {
    // A turn after every piece (sliceMs 0): however fast the disk, the loop gets turns.
    bytes = await writeTraceYielding(file, store, () => false, 0);
  } finally {
    clearImmediate(tickHandle);
  }
  assert.ok(fs.readFileSync(file).equals(encodeTrace(store)));
  assert.equal(bytes, fs.statSync(file).size);
  assert.equal(readTrace(file).length, store.length);
  assert.ok(turns > 5, `other work ran while the trace was being written (${turns} turns)`);
  assert.deepEqual(tempFiles(), []);
});

test('a save stopped half-way leaves the destination as it was and no temp file', async () => {
  const file = path.join(dir, 'kept.ctrace');
  fs.writeFileSync(file, 'the previous trace');
  let asked = 0;
  // Stopped at the second turn: the temp file is half-written by then.
  await assert.rejects(writeTraceYielding(file, big(ROWS_PER_CHUNK * 3), () => ++asked >= 2, 0), SaveStopped);
  assert.equal(asked, 2);
  assert.equal(fs.readFileSync(file, 'utf8'), 'the previous trace');
  assert.deepEqual(tempFiles(), []);
});

test('a save stopped after its last byte is not renamed into place', async () => {
  const file = path.join(dir, 'small.ctrace');
  // Too small for a turn: only the check before the rename asks.
  await assert.rejects(writeTraceYielding(file, big(10), () => true), SaveStopped);
  assert.ok(!fs.existsSync(file));
  assert.deepEqual(tempFiles(), []);
});
