import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Collector } from '../../src/core/run/collector';
import { epochFromBigInt } from '../../src/core/run/eventFile';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { EMPTY_SLOT, blob, header, record, writeProcessFiles } from './fakeEventFile';

/** Folders made by the tests here, removed once they are all done. */
const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
const tmp = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
  made.push(dir);
  return dir;
};

const EPOCH = 5_000_000n;

test('files of another run (wrong token) are refused and their events dropped', () => {
  const dir = tmp();
  writeProcessFiles(dir, 10, 'goodtoken', [record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 1, obj: 10 })]);
  writeProcessFiles(dir, 11, 'intruder', [record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 1, obj: 11 })]);
  const store = new TraceStore();
  const warnings: string[] = [];
  const c = new Collector({ dir, token: 'goodtoken', epoch: epochFromBigInt(EPOCH), store, onWarning: (w) => warnings.push(w), startTicks: () => undefined });
  c.stop();
  assert.deepEqual(store.processes.map((p) => p.pid), [10]);
  assert.equal(c.rejectedFiles.length, 1);
  assert.match(warnings[0], /token mismatch/);
});

test('strings, sites and thread idents resolve into the store tables', () => {
  const dir = tmp();
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
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => 1 });
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

const start = (pid: number): Buffer[] => [
  record({ kind: K.THREAD_START, ts: EPOCH + 1n, ident: 9, obj: pid }),
  record({ kind: K.PROCESS_START, ts: EPOCH + 2n, ident: 9, obj: pid, a: 1 }),
];

test('a live process: a claimed slot is waited for over any number of polls and then read, nothing is counted lost', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 30, 'tok', [...start(30), EMPTY_SLOT(), record({ kind: K.SLEEP, ts: EPOCH + 9n, ident: 9, end: EPOCH + 10n })]);
  const store = new TraceStore();
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => 777 });
  for (let i = 0; i < 20; i++) c.poll(false);
  assert.equal(store.rowsOf(K.SLEEP).length, 1, 'records after the unwritten slot are not held back');
  const fd = fs.openSync(`${base}.ctev`, 'r+');
  fs.writeSync(fd, record({ kind: K.LOCK_TRY_FAIL, ts: EPOCH + 5n, ident: 9, obj: 3 }), 0, 64, 4 * 64);
  fs.closeSync(fd);
  c.poll(false);
  assert.equal(store.rowsOf(K.LOCK_TRY_FAIL).length, 1, 'the late record is read');
  c.stop();
  assert.deepEqual(store.rowsOf(K.EVENTS_LOST), []);
  assert.deepEqual(c.problems(), []);
});

test('once the process is gone its file is read to the end and a slot never written is counted as lost, with why', () => {
  const dir = tmp();
  writeProcessFiles(dir, 31, 'tok', [...start(31), EMPTY_SLOT(), record({ kind: K.SLEEP, ts: EPOCH + 9n, ident: 9, end: EPOCH + 10n })]);
  const store = new TraceStore();
  let alive: number | undefined = 5;
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => alive });
  c.poll(false);
  assert.deepEqual(store.rowsOf(K.EVENTS_LOST), [], 'not while it runs');
  alive = 6; // the pid now belongs to another process: ours is gone
  c.poll(false);
  const lost = store.rowsOf(K.EVENTS_LOST);
  assert.equal(lost.length, 1);
  assert.equal(store.a[lost[0]], 1);
  assert.equal(store.b[lost[0]], 1, 'claimed but never written');
  assert.equal(store.obj[lost[0]], 31);
  assert.match(c.problems()[0], /pid 31.*1 event lost: claimed but never written/);
});

test('a process that stopped writing (disk full) is said to be untraced from then on', () => {
  const dir = tmp();
  writeProcessFiles(dir, 32, 'tok', start(32), [], { claimed: 4, stopTs: EPOCH + 1_500_000_000n, reason: 1, errno: 28 });
  const store = new TraceStore();
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => 9 });
  c.poll(false);
  const status = store.rowsOf(K.TRACER_STATUS);
  assert.equal(status.length, 1, 'said while the process still runs');
  assert.equal(store.a[status[0]], 1);
  assert.equal(store.ts[status[0]], 1_500_000_000);
  c.stop();
  assert.equal(store.rowsOf(K.TRACER_STATUS).length, 1, 'once');
  assert.match(c.problems()[0], /pid 32.*tracing stopped at 1\.500 s: disk full \(ENOSPC\)/);
});

test('a child that left an untraced note is in the trace, and its problem is said once, by the note', () => {
  const dir = tmp();
  writeProcessFiles(dir, 33, 'tok', [...start(33), record({ kind: K.CHILD_PROCESS, ts: EPOCH + 5n, ident: 9, obj: 34, a: 1 })],
    [blob(1, '["python3.7", "-c", "pass"]')]);
  fs.writeFileSync(path.join(dir, 'untraced-34-0123abcd.txt'), 'Python 3.7 is older than 3.8');
  const store = new TraceStore();
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => undefined });
  c.stop();
  assert.ok(store.processByPid(34), 'a process of the run');
  assert.deepEqual(store.rowsOf(K.TRACER_STATUS).map((i) => store.obj[i]), [34], 'the trace marks it never traced');
  assert.deepEqual(c.problems(), [], 'the note says it (with its reason), not the collector again');
});

test('a live poll reads for at most its time budget; the rest is read by polls queued after other callbacks, and nothing is lost', async () => {
  const dir = tmp();
  const n = 200_000;
  const sleeps = Array.from({ length: n }, (_, i) => record({ kind: K.SLEEP, ts: EPOCH + 10n + BigInt(i), ident: 9, end: EPOCH + 11n + BigInt(i) }));
  writeProcessFiles(dir, 33, 'tok', [...start(33), ...sleeps]);
  const store = new TraceStore();
  store.trackUpdates = false;
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => 11, pollBudgetMs: 1 });
  c.poll(false);
  const first = store.rowsOf(K.SLEEP).length;
  assert.ok(first > 0 && first < n, `one poll read ${first} of ${n}`);
  // The queued polls go on after other callbacks: count the turns this loop gets meanwhile.
  let turns = 0;
  const started = Date.now();
  while (store.rowsOf(K.SLEEP).length < n && Date.now() - started < 20_000) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    turns++;
  }
  assert.equal(store.rowsOf(K.SLEEP).length, n, 'everything read while live');
  assert.ok(turns > 1, `other callbacks ran between the polls (${turns} turns)`);
  c.stop();
  assert.equal(store.rowsOf(K.SLEEP).length, n, 'nothing read twice');
  assert.deepEqual(store.rowsOf(K.EVENTS_LOST), []);
});

test('a process that exec\'ed (two files of one pid): one process and one main lane, whichever file has records first', () => {
  const dir = tmp();
  const pid = 40;
  const file = (name: string, records: Buffer[]): void => {
    fs.writeFileSync(path.join(dir, name), Buffer.concat([header(pid, 'tok'), ...records, Buffer.alloc(64 * 40)]));
  };
  const image = (ts: bigint, ident: number): Buffer[] => [
    record({ kind: K.THREAD_START, ts: EPOCH + ts, ident, obj: pid }),
    record({ kind: K.PROCESS_START, ts: EPOCH + ts + 1n, ident, obj: pid, a: 1 }),
    record({ kind: K.SLEEP, ts: EPOCH + ts + 2n, ident, end: EPOCH + ts + 3n, a: 1 }),
  ];
  // The file found first has nothing yet; the other image's file is found and read before it has.
  file('p40-first.ctev', []);
  const store = new TraceStore();
  const c = new Collector({ dir, token: 'tok', epoch: epochFromBigInt(EPOCH), store, startTicks: () => 1 });
  c.poll(false);
  file('p40-second.ctev', image(100n, 7));
  c.poll(false);
  file('p40-first.ctev', image(10n, 3));
  c.stop();
  assert.deepEqual(store.processes.map((p) => p.pid), [pid]);
  assert.equal(store.threads.length, 1, store.threads.map((t) => `${t.name} ${t.ident}`).join(', '));
  assert.equal(store.rowsOf(K.SLEEP).length, 2);
  assert.ok(store.rowsOf(K.SLEEP).every((r) => store.thread[r] === 0));
});
