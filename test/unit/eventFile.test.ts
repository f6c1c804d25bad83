import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { EventFileError, EventFileReader, epochFromBigInt } from '../../src/core/run/eventFile';
import { EMPTY_SLOT, END_AT, blob, header, record, stringSlots, voidSlot, writeProcessFiles } from './fakeEventFile';

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

const EPOCH = 1_000_000_000_000n;
const reader = (base: string): EventFileReader => new EventFileReader(`${base}.ctev`, epochFromBigInt(EPOCH));

/** Writes one slot into an existing file at byte offset `at`. */
function writeSlot(file: string, at: number, slot: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, slot, 0, slot.length, at);
  fs.closeSync(fd);
}

test('reads records with times relative to the run epoch, and their strings', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 42, 'tok', [
    record({ kind: 8, ts: EPOCH + 5n, ident: 7, obj: 42, a: 1 }),
    record({ kind: 70, ts: EPOCH + 10n, ident: 7, end: EPOCH + 30n, a: 99 }),
  ], [blob(1, 'MainThread')]);
  const r = reader(base);
  assert.deepEqual(r.open(), { pid: 42, token: 'tok', firstSlot: 2 });
  const recs = r.readRecords().toArray();
  assert.equal(recs.length, 2);
  assert.equal(recs[0].ts, 5);
  assert.equal(recs[0].end, 0, 'an unwritten end stays 0 (open span)');
  assert.equal(recs[1].end, 30);
  assert.equal(recs[1].a, 99);
  assert.deepEqual(r.readBlobs(), [[1, 'MainThread']]);
  assert.deepEqual(r.readRecords().toArray(), [], 'nothing new on the next poll');
});

test('a string longer than one slot is put back together, UTF-8 across piece boundaries included', () => {
  const dir = tmp();
  const text = 'naïve ' + 'é'.repeat(60) + ' — end';
  assert.ok(stringSlots(9, text).length > 2);
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 71, ts: EPOCH + 1n, a: 9 })], [blob(9, text), blob(10, '')]);
  const r = reader(base);
  assert.equal(r.readRecords().length, 1);
  assert.deepEqual(r.readBlobs(), [[9, text], [10, '']]);
});

test('picks up records appended later and span ends written in place', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 21, ts: EPOCH + 1n, obj: 5 })]);
  const r = reader(base);
  const [hold] = r.readRecords().toArray();
  const end = Buffer.alloc(8);
  end.writeBigInt64LE(EPOCH + 77n);
  writeSlot(`${base}.ctev`, hold.offset + END_AT, end);
  writeSlot(`${base}.ctev`, hold.offset + 64, record({ kind: 22, ts: EPOCH + 80n, obj: 5 }));
  assert.deepEqual(r.refresh([hold.offset]).map((u) => u.end), [77]);
  assert.deepEqual(r.readRecords().toArray().map((x) => x.kind), [22]);
});

test('a claimed slot of a live process is never skipped: later records come at once, the slot when it is written', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 70, ts: EPOCH }), EMPTY_SLOT(), record({ kind: 71, ts: EPOCH + 2n })]);
  const r = reader(base);
  assert.deepEqual(r.readRecords().toArray().map((x) => x.kind), [70, 71], 'the record after the gap is not held back');
  assert.equal(r.pendingSlots, 1);
  // However many polls pass (a thread that lost the GIL for a long time), the slot is still awaited.
  for (let i = 0; i < 50; i++) assert.equal(r.readRecords().length, 0);
  assert.equal(r.pendingSlots, 1);
  const gap = 2 * 64 + 64;
  writeSlot(`${base}.ctev`, gap, record({ kind: 72, ts: EPOCH + 1n }));
  assert.deepEqual(r.readRecords().toArray().map((x) => [x.kind, x.offset]), [[72, gap]]);
  assert.equal(r.pendingSlots, 0);
  r.readRecords(true);
  assert.deepEqual(r.loss(), { unwritten: 0, voided: 0 });
});

test('records filled into earlier slots during a poll are delivered in slot order, with the strings they name', () => {
  const dir = tmp();
  // A string and a SITE-like record claimed first, written after a later record that names them.
  const base = writeProcessFiles(dir, 1, 't', [EMPTY_SLOT(), EMPTY_SLOT(), record({ kind: 71, ts: EPOCH + 3n, a: 4 })]);
  const r = reader(base);
  assert.equal(r.readRecords().length, 1);
  writeSlot(`${base}.ctev`, 128, stringSlots(4, 'late text')[0]);
  writeSlot(`${base}.ctev`, 192, record({ kind: 1, ts: EPOCH + 1n, obj: 1, a: 4 }));
  writeSlot(`${base}.ctev`, 128 + 4 * 64, record({ kind: 70, ts: EPOCH + 5n }));
  const recs = r.readRecords().toArray();
  assert.deepEqual(recs.map((x) => x.kind), [1, 70], 'the earlier slot first');
  assert.deepEqual(r.readBlobs(), [[4, 'late text']]);
});

test('the final read gives up on slots never written and counts them, trailing claimed slots included', () => {
  const dir = tmp();
  // claimed = 2 + 5: slots 2..6; slot 3 and 5, 6 never written.
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 70, ts: EPOCH }), EMPTY_SLOT(), record({ kind: 71, ts: EPOCH + 2n }), EMPTY_SLOT()],
    [], { claimed: 7 });
  const r = reader(base);
  assert.equal(r.readRecords().length, 2);
  assert.equal(r.readRecords(true).length, 0);
  assert.deepEqual(r.loss(), { unwritten: 3, voided: 0 });
});

test('slots the runtime marked dropped are counted and not waited for', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 70, ts: EPOCH }), voidSlot(), record({ kind: 71, ts: EPOCH + 2n })]);
  const r = reader(base);
  assert.equal(r.readRecords().length, 2);
  assert.equal(r.pendingSlots, 0);
  r.readRecords(true);
  assert.deepEqual(r.loss(), { unwritten: 0, voided: 1 });
});

test('a live read stops at a long run of empty slots; the final read goes on past it', () => {
  const dir = tmp();
  const file = path.join(dir, 'p1-x.ctev');
  fs.writeFileSync(file, Buffer.concat([header(1, 't'), record({ kind: 70, ts: EPOCH }), Buffer.alloc(64 * 2000),
    record({ kind: 71, ts: EPOCH + 1n }), Buffer.alloc(64 * 10)]));
  const r = new EventFileReader(file, epochFromBigInt(EPOCH));
  assert.equal(r.readRecords().length, 1);
  assert.equal(r.readRecords(true).length, 1);
  assert.equal(r.loss().unwritten, 2000);
});

test('the status slot says why and when tracing stopped', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [], [], { claimed: 40, stopTs: EPOCH + 500n, reason: 1, errno: 28 });
  const r = reader(base);
  assert.deepEqual(r.status(), { claimed: 40, stopTs: 500, reason: 1, errno: 28 });
});

test('a partly written string is left for the next poll', () => {
  const dir = tmp();
  const slots = stringSlots(3, 'hello world, a string of more than one slot, surely');
  const base = writeProcessFiles(dir, 1, 't', [], [slots[0]]);
  const r = reader(base);
  r.readRecords();
  assert.deepEqual(r.readBlobs(), []);
  writeSlot(`${base}.ctev`, 128 + 64, slots[1]);
  r.readRecords();
  assert.deepEqual(r.readBlobs(), [[3, 'hello world, a string of more than one slot, surely']]);
});

test('a file that is not an event file, or of another format version, is refused with a clear error', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'x.ctev'), Buffer.alloc(128, 1));
  assert.throws(() => new EventFileReader(path.join(dir, 'x.ctev'), epochFromBigInt(EPOCH)).open(), EventFileError);
  const old = header(5, 't');
  old.writeUInt32LE(1, 8);
  fs.writeFileSync(path.join(dir, 'y.ctev'), old);
  assert.throws(() => new EventFileReader(path.join(dir, 'y.ctev'), epochFromBigInt(EPOCH)).open(), /format 1/);
});

/**
 * A reader whose next read of the bytes at `at` meets a writer at work: it
 * copies the file on one side of `cut`, then `write()` runs (the runtime
 * storing into the slot the way writer.py does), then it copies the other
 * side. That is what a read copying a page while another core stores into it
 * can return (copies are not done in address order: a torn hold read back in
 * a stress run had its b but not its a): the kind of a record and its fields
 * from before they were written, or a span's end and its a and b from before.
 */
class ReaderMeetingAWrite extends EventFileReader {
  private armed: { at: number; cut: number; write: () => void; highFirst: boolean } | undefined;

  meetWrite(at: number, cut: number, write: () => void, highFirst = false): void {
    this.armed = { at, cut, write, highFirst };
  }

  protected override readAt(fd: number, buf: Buffer, length: number, position: number): number {
    const arm = this.armed;
    if (!arm || arm.at < position || arm.at >= position + length) return fs.readSync(fd, buf, 0, length, position);
    this.armed = undefined;
    const low = arm.cut - position;
    if (!arm.highFirst) {
      const first = fs.readSync(fd, buf, 0, low, position);
      arm.write();
      return first + fs.readSync(fd, buf, first, length - first, arm.cut);
    }
    const high = fs.readSync(fd, buf, low, length - low, arm.cut);
    arm.write();
    return fs.readSync(fd, buf, 0, low, position) + high;
  }
}

/** Stores a record's fields, then its kind, into slot `at` of an existing file (writer.py's order). */
function storeRecord(file: string, at: number, slot: Buffer): void {
  writeSlot(file, at, slot.subarray(0, 56));
  writeSlot(file, at + 56, slot.subarray(56));
}

const HOLD = { kind: 21, ts: EPOCH + 40n, ident: 9, obj: 77, site: 3 };

test('a record read while it is being written comes with its fields, not the zeros from before them', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 70, ts: EPOCH }), EMPTY_SLOT(), record({ kind: 71, ts: EPOCH + 2n })]);
  const r = new ReaderMeetingAWrite(`${base}.ctev`, epochFromBigInt(EPOCH));
  const at = 128 + 64 + 64 + 64; // the slot after the last record: the one the next writer fills
  // The read copies the slot's fields (still zero), then the writer stores them and the kind, then the read copies the kind.
  r.meetWrite(at, at + 56, () => storeRecord(`${base}.ctev`, at, record(HOLD)));
  const recs = r.readRecords().toArray();
  assert.deepEqual(recs.map((x) => [x.kind, x.ident, x.obj, x.site, x.ts]), [[70, 1, 0, 0, 0], [71, 1, 0, 0, 2], [21, 9, 77, 3, 40]]);
});

test('a claimed slot filled while the poll re-reads it comes with its fields', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 70, ts: EPOCH }), EMPTY_SLOT(), record({ kind: 71, ts: EPOCH + 2n })]);
  const r = new ReaderMeetingAWrite(`${base}.ctev`, epochFromBigInt(EPOCH));
  assert.equal(r.readRecords().length, 2);
  assert.equal(r.pendingSlots, 1);
  const gap = 128 + 64;
  r.meetWrite(gap, gap + 56, () => storeRecord(`${base}.ctev`, gap, record(HOLD)));
  assert.deepEqual(r.readRecords().toArray().map((x) => [x.offset, x.kind, x.obj, x.ts]), [[gap, 21, 77, 40]]);
  assert.equal(r.pendingSlots, 0);
});

test('a span end read while it is being written comes with the a and b stored before it', () => {
  const dir = tmp();
  const base = writeProcessFiles(dir, 1, 't', [record({ kind: 22, ts: EPOCH + 1n, obj: 5 })]);
  const r = new ReaderMeetingAWrite(`${base}.ctev`, epochFromBigInt(EPOCH));
  const [wait] = r.readRecords().toArray();
  // writer.finish stores a and b, then the end; the read copies a and b before, the end after.
  const ab = Buffer.alloc(16);
  ab.writeBigInt64LE(1n, 0);
  ab.writeBigInt64LE(4n, 8);
  const end = Buffer.alloc(8);
  end.writeBigInt64LE(EPOCH + 90n);
  r.meetWrite(wait.offset, wait.offset + END_AT + 8, () => {
    writeSlot(`${base}.ctev`, wait.offset + END_AT + 8, ab);
    writeSlot(`${base}.ctev`, wait.offset + END_AT, end);
  }, true);
  assert.deepEqual(r.refresh([wait.offset]), [{ offset: wait.offset, end: 90, a: 1, b: 4 }]);
});
