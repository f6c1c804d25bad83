import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Collector } from '../../src/core/collector';
import { epochFromBigInt } from '../../src/core/eventFile';
import { K } from '../../src/core/recordKinds';
import { TraceStore } from '../../src/core/traceStore';
import { blob, record, writeProcessFiles } from './fakeEventFile';

const EPOCH = 5_000_000n;

test('files of another run (wrong token) are refused and their events dropped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
  writeProcessFiles(dir, 10, 'goodtoken', [record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 1, obj: 10 })]);
  writeProcessFiles(dir, 11, 'intruder', [record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 1, obj: 11 })]);
  const store = new TraceStore();
  const warnings: string[] = [];
  const c = new Collector({ dir, token: 'goodtoken', epoch: epochFromBigInt(EPOCH), store, onWarning: (w) => warnings.push(w) });
  c.stop();
  assert.deepEqual(store.processes.map((p) => p.pid), [10]);
  assert.equal(c.rejectedFiles.length, 1);
  assert.match(warnings[0], /token mismatch/);
});

test('strings, sites and thread idents resolve into the store tables', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
  writeProcessFiles(dir, 20, 'tok', [
    record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 9, obj: 2020, a: 1 }),
    record({ kind: K.PROCESS_START, ts: EPOCH + 2n, ident: 9, obj: 20, a: 1, b: 2 }),
    record({ kind: K.SITE, ts: EPOCH + 3n, ident: 9, obj: 1, a: 3, b: 12, end: 4n }),
    record({ kind: K.OBJECT, ts: EPOCH + 4n, ident: 9, obj: 777, a: 5, b: 6, site: 1 }),
    record({ kind: K.LOCK_HOLD, ts: EPOCH + 5n, ident: 9, obj: 777, site: 1, end: EPOCH + 9n }),
    record({ kind: K.LOCK_HOLD, ts: EPOCH + 10n, ident: 9, obj: 777, site: 1 }),
  ], [blob(1, 'MainThread'), blob(2, '{"argv":["python3","app.py"],"python":"3.11.7"}'), blob(3, '/src/app.py'),
    blob(4, 'work'), blob(5, 'Lock'), blob(6, 'counter_lock')]);
  const store = new TraceStore();
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store });
  c.poll(false);
  assert.equal(store.processes[0].name, 'app.py');
  assert.equal(store.threads[0].name, 'MainThread');
  assert.equal(store.threads[0].nativeId, 2020);
  assert.deepEqual(store.sites[0], { file: '/src/app.py', line: 12, func: 'work' });
  assert.equal(store.objects.get(777)?.label, 'counter_lock');
  const holds = store.rowsOf(K.LOCK_HOLD);
  assert.equal(holds.length, 2);
  assert.equal(store.end[holds[0]], 9);
  assert.ok(Number.isNaN(store.end[holds[1]]), 'open span');
  assert.equal(store.site[holds[0]], 0);
  c.stop();
});
