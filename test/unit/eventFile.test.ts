import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EventFileError, EventFileReader, epochFromBigInt } from '../../src/core/eventFile';
import { blob, record, writeProcessFiles } from './fakeEventFile';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ct-unit-'));
const EPOCH = 1_000_000_000_000n;

test('reads records with times relative to the run epoch, and their strings', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 42, 'tok', [
    record({ kind: 8, ts: EPOCH + 5n, ident: 7, obj: 42, a: 1 }),
    record({ kind: 70, ts: EPOCH + 10n, ident: 7, end: EPOCH + 30n, a: 99 }),
  ], [blob(1, 'MainThread')]);
  const r = new EventFileReader(`${base}.ctev`, `${base}.ctbl`, epochFromBigInt(EPOCH));
  assert.deepEqual(r.open(), { pid: 42, token: 'tok', firstSlot: 1 });
  const recs = r.readRecords().toArray();
  assert.equal(recs.length, 2);
  assert.equal(recs[0].ts, 5);
  assert.equal(recs[0].end, 0, 'an unwritten end stays 0 (open span)');
  assert.equal(recs[1].end, 30);
  assert.equal(recs[1].a, 99);
  assert.deepEqual(r.readBlobs(), [[1, 'MainThread']]);
  assert.deepEqual(r.readRecords().toArray(), [], 'nothing new on the next poll');
});

test('picks up records appended later and span ends written in place', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 21, ts: EPOCH + 1n, obj: 5 })]);
  const r = new EventFileReader(`${base}.ctev`, `${base}.ctbl`, epochFromBigInt(EPOCH));
  const [hold] = r.readRecords().toArray();
  const fd = fs.openSync(`${base}.ctev`, 'r+');
  const end = Buffer.alloc(8);
  end.writeBigInt64LE(EPOCH + 77n);
  fs.writeSync(fd, end, 0, 8, hold.offset + 40);
  fs.writeSync(fd, record({ kind: 22, ts: EPOCH + 80n, obj: 5 }), 0, 64, hold.offset + 64);
  fs.closeSync(fd);
  assert.deepEqual(r.refresh([hold.offset]).map((u) => u.end), [77]);
  assert.deepEqual(r.readRecords().toArray().map((x) => x.kind), [22]);
});

test('waits on a gap a few polls, then skips it; the final read skips at once', () => {
  const dir = tmp();
  const gap = Buffer.alloc(64);
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 70, ts: EPOCH }), gap, record({ kind: 71, ts: EPOCH + 2n })]);
  const r = new EventFileReader(`${base}.ctev`, `${base}.ctbl`, epochFromBigInt(EPOCH));
  assert.equal(r.readRecords().toArray().length, 1);
  assert.equal(r.readRecords().toArray().length, 0);
  assert.equal(r.readRecords().toArray().length, 0);
  assert.equal(r.readRecords().toArray().length, 1, 'skipped after waiting');
  const r2 = new EventFileReader(`${base}.ctev`, `${base}.ctbl`, epochFromBigInt(EPOCH));
  assert.equal(r2.readRecords(true).toArray().length, 2);
});

test('a partly written blob is left for the next poll', () => {
  const dir = tmp();
  const whole = blob(3, 'hello world');
  const base = writeProcessFiles(dir, 1, 't', [], [whole.subarray(0, 12)]);
  const r = new EventFileReader(`${base}.ctev`, `${base}.ctbl`, epochFromBigInt(EPOCH));
  assert.deepEqual(r.readBlobs(), []);
  fs.appendFileSync(`${base}.ctbl`, whole.subarray(12));
  assert.deepEqual(r.readBlobs(), [[3, 'hello world']]);
});

test('a file that is not an event file is refused with a clear error', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'x.ctev'), Buffer.alloc(128, 1));
  const r = new EventFileReader(path.join(dir, 'x.ctev'), path.join(dir, 'x.ctbl'), epochFromBigInt(EPOCH));
  assert.throws(() => r.open(), EventFileError);
});
