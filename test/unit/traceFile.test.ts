import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { K } from '../../src/core/recordKinds';
import { TraceFileError, decodeTrace, encodeTrace, readTrace, writeTrace } from '../../src/core/traceFile';
import { TraceStore } from '../../src/core/traceStore';

function sample(): TraceStore {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'a.py', argv: ['python', 'a.py'], python: '3.11.7', startTs: 0, endTs: 100,
    exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: 1, mainThread: 0 });
  s.addThread({ process: p.index, pid: 1, ident: 5, nativeId: 1, name: 'MainThread', startTs: 0, endTs: NaN, daemon: false, internal: false, main: true, exception: null });
  s.addSite('/a.py', 3, '<module>');
  s.objects.set(9, { id: 9, type: 'Lock', label: 'lk', pid: 1, site: 0 });
  for (let i = 0; i < 5000; i++) s.push(K.LOCK_HOLD, i, i % 7 ? i + 1 : NaN, 0, 9, 0, s.intern(`x${i % 3}`), 0);
  s.meta = { exitCode: 0, signal: null, argv: ['a.py'], startedAt: 'now', python: '3.11.7' };
  return s;
}

test('a saved trace reads back with every column and table equal', () => {
  const s = sample();
  const back = decodeTrace(encodeTrace(s));
  assert.equal(back.length, s.length);
  assert.deepEqual(back.columns(), s.columns());
  assert.deepEqual(back.processes, s.processes);
  assert.ok(Number.isNaN(back.threads[0].endTs));
  assert.deepEqual(back.sites, s.sites);
  assert.deepEqual([...back.objects.values()], [...s.objects.values()]);
  assert.deepEqual(back.strings, s.strings);
  assert.deepEqual(back.meta, s.meta);
});

test('a truncated trace is refused with a message that says so', () => {
  const data = encodeTrace(sample());
  assert.throws(() => decodeTrace(data.subarray(0, data.length - 100)), /truncated/);
  assert.throws(() => decodeTrace(data.subarray(0, 10)), TraceFileError);
});

test('a damaged trace fails its checksum', () => {
  const data = Buffer.from(encodeTrace(sample()));
  data[200] ^= 0xff;
  assert.throws(() => decodeTrace(data), /damaged/);
});

test('a file that is not a trace, or is missing, gets a clear error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
  fs.writeFileSync(path.join(dir, 'x.ctrace'), 'hello');
  assert.throws(() => readTrace(path.join(dir, 'x.ctrace')), /not a Concurrency Trace file/);
  assert.throws(() => readTrace(path.join(dir, 'missing.ctrace')), /not found/);
  writeTrace(path.join(dir, 'ok.ctrace'), sample());
  assert.equal(readTrace(path.join(dir, 'ok.ctrace')).length, 5000);
});
