/** SHARED_READ / SHARED_WRITE fields survive collection: inline ints and names of parts (data-race steps need both). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { sharedValue } from '../../src/core/analysis/names';
import { Collector } from '../../src/core/run/collector';
import { epochFromBigInt } from '../../src/core/run/eventFile';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { blob, record, writeProcessFiles } from './fakeEventFile';

const EPOCH = 5_000_000n;
const inline = (v: number): number => -(2 ** 51 + v);

test('an inline int value (a < 0) is kept and decodes to the value read or written', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
  writeProcessFiles(dir, 30, 'tok', [
    record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 9, obj: 30, a: 1 }),
    record({ kind: K.SHARED_READ, ts: EPOCH + 2n, ident: 9, obj: 2 ** 51 + 5, a: inline(41), b: 0 }),
    record({ kind: K.SHARED_WRITE, ts: EPOCH + 3n, ident: 9, obj: 2 ** 51 + 5, a: inline(-7), b: 0 }),
    record({ kind: K.SHARED_WRITE, ts: EPOCH + 4n, ident: 9, obj: 2 ** 51 + 5, a: 2, b: 0 }),
  ], [blob(1, 'MainThread'), blob(2, "'text'")]);
  const store = new TraceStore();
  new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store }).stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const rows = store.rowsOf(K.SHARED_READ, K.SHARED_WRITE);
  assert.deepEqual(rows.map((r) => sharedValue(store, store.a[r])), ['41', '-7', "'text'"]);
});

test('a named part is the same part in every process, whatever its local string id', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
  const obj = 2 ** 51 + 77;
  // Process 40 knows the name "x" as string 2, process 41 as string 3.
  writeProcessFiles(dir, 40, 'tok', [
    record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 9, obj: 40, a: 1 }),
    record({ kind: K.SHARED_WRITE, ts: EPOCH + 2n, ident: 9, obj, a: inline(1), b: 2 * 2 }),
  ], [blob(1, 'MainThread'), blob(2, 'x')]);
  writeProcessFiles(dir, 41, 'tok', [
    record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 9, obj: 41, a: 1 }),
    record({ kind: K.SHARED_READ, ts: EPOCH + 3n, ident: 9, obj, a: inline(1), b: 2 * 3 }),
    record({ kind: K.SHARED_READ, ts: EPOCH + 4n, ident: 9, obj, a: inline(1), b: 2 * 5 + 1 }),
  ], [blob(1, 'MainThread'), blob(2, 'y'), blob(3, 'x')]);
  const store = new TraceStore();
  new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store }).stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const parts = store.rowsOf(K.SHARED_READ, K.SHARED_WRITE).map((r) => store.b[r]);
  assert.equal(parts.length, 3);
  const named = parts.filter((p) => p % 2 === 0);
  assert.equal(named[0], named[1], 'both processes name part "x" the same');
  assert.equal(store.strings[named[0] / 2], 'x');
  assert.ok(parts.includes(11), 'an index part (2*5+1) stays as it is');
});
