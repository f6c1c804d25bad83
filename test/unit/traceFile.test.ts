import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { K } from '../../src/core/trace/recordKinds';
import { TraceFileError, decodeTrace, encodeTrace, readTrace, writeTrace } from '../../src/core/trace/traceFile';
import { CHUNK_HEADER, INDEX_ENTRY, MAGIC, ROWS_PER_CHUNK, TRAILER_MAGIC, pad8 } from '../../src/core/trace/traceFormat';
import { TraceStore } from '../../src/core/trace/traceStore';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-tracefile-'));

function sample(events = 5000): TraceStore {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'a.py', argv: ['python', 'a.py'], python: '3.11.7', startTs: 0, endTs: 100,
    exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: 1, mainThread: 0 });
  s.addThread({ process: p.index, pid: 1, ident: 5, nativeId: 1, name: 'MainThread', startTs: 0, endTs: NaN, daemon: false, internal: false, main: true, exception: null });
  s.addSite('/a.py', 3, '<module>');
  s.objects.set(9, { id: 9, type: 'Lock', label: 'lk', pid: 1, site: 0 });
  for (let i = 0; i < events; i++) s.push(K.LOCK_HOLD, i, i % 7 ? i + 1 : NaN, 0, 9, 0, 0, 0);
  s.push(K.IO_WRITE, 5, 5, 0, 0, 0, s.intern('hello\n'), 1);
  s.push(K.SAMPLE_CORE, 6, 6, -1, 1, -1, 50, 0);
  s.push(K.SAMPLE_CPU, 7, 7, 0, 1, -1, 12.5, 3 + 256 * 82);
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

test('events span several chunks and tables several chunks, and read back in order', () => {
  const s = sample(ROWS_PER_CHUNK * 2 + 123);
  // Enough long strings for several string chunks (4 MiB each).
  for (let i = 0; i < 1200; i++) s.intern(`${i}:${'x'.repeat(10000)}`);
  const file = path.join(dir, 'big.ctrace');
  writeTrace(file, s);
  const back = readTrace(file);
  assert.equal(back.length, s.length);
  assert.deepEqual(back.columns(), s.columns());
  assert.deepEqual(back.strings, s.strings);
  // A loaded store keeps growing like a live one.
  back.push(K.SLEEP, 1, 2, 0, 0, -1, 0, 0);
  assert.equal(back.length, s.length + 1);
});

test('fields a newer build adds are kept when they are plain values', () => {
  const s = sample(10);
  (s.processes[0] as unknown as Record<string, unknown>).traced = 'incomplete';
  (s.meta as unknown as Record<string, unknown>).warnings = ['process 7 is incomplete: disk full'];
  const back = decodeTrace(encodeTrace(s));
  assert.equal((back.processes[0] as unknown as Record<string, unknown>).traced, 'incomplete');
  assert.deepEqual((back.meta as unknown as Record<string, unknown>).warnings, ['process 7 is incomplete: disk full']);
});

test('a saved trace is private (0600) and written through no planted symlink', () => {
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'keep me');
  const out = path.join(dir, 'linked.ctrace');
  fs.symlinkSync(victim, out);
  writeTrace(out, sample(10));
  assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me');
  assert.ok(fs.lstatSync(out).isFile());
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp')), []);
});

test('a truncated trace is refused with a message that says so', () => {
  const data = encodeTrace(sample());
  assert.throws(() => decodeTrace(data.subarray(0, data.length - 100)), /truncated/);
  assert.throws(() => decodeTrace(data.subarray(0, 10)), /truncated/);
  assert.throws(() => decodeTrace(data.subarray(0, 10)), TraceFileError);
});

test('a damaged trace fails its checksum', () => {
  const data = Buffer.from(encodeTrace(sample()));
  data[200] ^= 0xff;
  assert.throws(() => decodeTrace(data), /damaged .*checksum/);
});

test('a trace of the earlier format 1 is refused with what to do', () => {
  const v1 = Buffer.concat([Buffer.from('CTRACE-TRACE-v1\n', 'latin1'), Buffer.alloc(64)]);
  assert.throws(() => decodeTrace(v1, 'old.ctrace'), /old.ctrace was saved by an earlier version .* run the script again/);
});

test('a file that is not a trace, or is missing, gets a clear error', () => {
  fs.writeFileSync(path.join(dir, 'x.ctrace'), 'hello');
  assert.throws(() => readTrace(path.join(dir, 'x.ctrace')), /not a Concurrency Trace file/);
  assert.throws(() => readTrace(path.join(dir, 'missing.ctrace')), /not found/);
  writeTrace(path.join(dir, 'ok.ctrace'), sample());
  assert.equal(readTrace(path.join(dir, 'ok.ctrace')).length, 5003);
});

test('a device, a FIFO and a folder are refused at once, without reading or blocking', () => {
  assert.throws(() => readTrace('/dev/zero'), /not a regular file/);
  const fifo = path.join(dir, 'pipe.ctrace');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readTrace(fifo), /not a regular file/);
  assert.throws(() => readTrace(dir), /is a folder/);
});

test('a huge sparse file is judged by its first bytes, not read whole', () => {
  const sparse = path.join(dir, 'sparse.ctrace');
  const fd = fs.openSync(sparse, 'w');
  fs.ftruncateSync(fd, Math.floor(1.9 * 2 ** 30));
  fs.closeSync(fd);
  const before = process.memoryUsage().rss;
  assert.throws(() => readTrace(sparse), /not a Concurrency Trace file/);
  // With the magic right but nothing else, the end marker is read and nothing more.
  const fd2 = fs.openSync(sparse, 'r+');
  fs.writeSync(fd2, MAGIC, 0, 'latin1');
  fs.closeSync(fd2);
  assert.throws(() => readTrace(sparse), /truncated/);
  assert.ok(process.memoryUsage().rss - before < 64 << 20, 'reading allocated what the file claims');
  fs.rmSync(sparse);
});

// ---- crafted files: valid checksums, bad content

interface Chunk { tag: string; count: number; payload: Buffer }

/** Splits a v2 file into its chunks (through its index). */
function chunksOf(data: Buffer): Chunk[] {
  const t = data.subarray(data.length - 24);
  const indexOffset = t.readUInt32LE(8) + t.readUInt32LE(12) * 2 ** 32;
  const indexLength = t.readUInt32LE(16);
  const index = data.subarray(indexOffset + CHUNK_HEADER, indexOffset + CHUNK_HEADER + indexLength);
  const out: Chunk[] = [];
  for (let at = 0; at < index.length; at += INDEX_ENTRY) {
    const off = index.readUInt32LE(at + 8) + index.readUInt32LE(at + 12) * 2 ** 32;
    const len = index.readUInt32LE(at + 16);
    out.push({ tag: index.toString('latin1', at, at + 4), count: index.readUInt32LE(at + 4), payload: Buffer.from(data.subarray(off + CHUNK_HEADER, off + CHUNK_HEADER + len)) });
  }
  return out;
}

/** Assembles chunks into a file with every checksum right. */
function assemble(chunks: Chunk[], mutateIndex?: (index: Buffer) => void): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  let offset = MAGIC.length;
  const entries = Buffer.alloc(chunks.length * INDEX_ENTRY);
  const put = (tag: string, count: number, payload: Buffer): number => {
    const h = Buffer.alloc(CHUNK_HEADER);
    h.write(tag, 0, 'latin1');
    h.writeUInt32LE(payload.length, 4);
    h.writeUInt32LE(zlib.crc32(payload), 8);
    h.writeUInt32LE(count, 12);
    const at = offset;
    parts.push(h, payload, Buffer.alloc(pad8(payload.length) - payload.length));
    offset += CHUNK_HEADER + pad8(payload.length);
    return at;
  };
  chunks.forEach((c, i) => {
    const at = put(c.tag, c.count, c.payload);
    const e = i * INDEX_ENTRY;
    entries.write(c.tag, e, 'latin1');
    entries.writeUInt32LE(c.count, e + 4);
    entries.writeUInt32LE(at, e + 8);
    entries.writeUInt32LE(c.payload.length, e + 16);
    entries.writeUInt32LE(zlib.crc32(c.payload), e + 20);
  });
  mutateIndex?.(entries);
  const indexAt = put('INDX', chunks.length, entries);
  const trailer = Buffer.alloc(24);
  trailer.write(TRAILER_MAGIC, 0, 'latin1');
  trailer.writeUInt32LE(indexAt, 8);
  trailer.writeUInt32LE(entries.length, 16);
  trailer.writeUInt32LE(zlib.crc32(trailer.subarray(0, 20)), 20);
  parts.push(trailer);
  return Buffer.concat(parts);
}

/** A file whose JSON chunk `tag` was changed by `edit`. */
function withJson(tag: string, edit: (v: any) => void): Buffer {
  const chunks = chunksOf(encodeTrace(sample(100)));
  const c = chunks.find((x) => x.tag === tag)!;
  const v = JSON.parse(c.payload.toString('utf8'));
  edit(v);
  c.payload = Buffer.from(JSON.stringify(v), 'utf8');
  if (Array.isArray(v)) c.count = v.length;
  return assemble(chunks);
}

/** A file whose events were written with one bad field (the writer does not check). */
function withEvent(edit: (s: TraceStore) => void): Buffer {
  const s = sample(100);
  edit(s);
  return encodeTrace(s);
}

const refused = (data: Buffer, message: RegExp): void => {
  assert.throws(() => decodeTrace(data, 'x.ctrace'), (err: unknown) => {
    assert.ok(err instanceof TraceFileError, String(err));
    assert.match(err.message, message);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
};

test('crafted events with valid checksums are refused field by field', () => {
  refused(withEvent((s) => s.push(K.SAMPLE_CORE, 1, 1, -1, 1e9, -1, 10, 0)), /event 103\.obj: 1000000000 is not a core number/);
  refused(withEvent((s) => { s.ts[3] = NaN; }), /event 3\.ts: NaN is not a time/);
  refused(withEvent((s) => { s.ts[3] = Infinity; }), /event 3\.ts/);
  refused(withEvent((s) => { s.ts[3] = -5; }), /event 3\.ts: -5/);
  refused(withEvent((s) => { s.end[1] = 0; }), /event 1\.end/);
  refused(withEvent((s) => { s.thread[4] = 7; }), /event 4\.thread: 7 is not a thread index/);
  refused(withEvent((s) => { s.thread[4] = -1; }), /event 4\.thread/);
  refused(withEvent((s) => { s.site[4] = 99; }), /event 4\.site/);
  refused(withEvent((s) => { s.kind[2] = 999; }), /event 2: unknown kind 999/);
  refused(withEvent((s) => { s.a[100] = 1e6; }), /event 100\.a: 1000000 is not a string index/);
  refused(withEvent((s) => { s.a[100] = 0.5; }), /event 100\.a/);
  refused(withEvent((s) => { s.obj[5] = Infinity; }), /event 5\.obj/);
  refused(withEvent((s) => { s.b[102] = -3; }), /event 102\.b: -3 is not a thread state/);
  refused(withEvent((s) => { s.a[102] = Infinity; }), /event 102\.a/);
});

test('crafted tables with valid checksums are refused field by field', () => {
  refused(withJson('THRD', (v) => { v[0].process = 1e9; }), /threads\[0\]\.process: 1000000000/);
  refused(withJson('THRD', (v) => { v[0] = 'x'; }), /threads\[0\]: not an object/);
  refused(withJson('THRD', (v) => { delete v[0].name; }), /threads\[0\]\.name: not a string/);
  refused(withJson('THRD', (v) => { v[0].startTs = -1; }), /threads\[0\]\.startTs/);
  refused(withJson('PROC', (v) => { v[0].mainThread = 5; }), /processes\[0\]\.mainThread/);
  refused(withJson('PROC', (v) => { v[0].argv = [1, 2]; }), /processes\[0\]\.argv\[0\]/);
  refused(withJson('PROC', (v) => { v[0].index = 3; }), /processes\[0\]\.index/);
  refused(withJson('OBJS', (v) => { v[0].site = 1e9; }), /objects\[0\]\.site/);
  refused(withJson('SITE', (v) => { v[0].line = 'x'; }), /sites\[0\]\.line/);
  refused(withJson('STRS', (v) => { v[1] = v[0]; }), /strings\[1\]: appears twice/);
  refused(withJson('STRS', (v) => { v[0] = 'x'; }), /strings\[0\]/);
  refused(withJson('META', (v) => { v.schemaVersion = 7; }), /header\.schemaVersion/);
  refused(withJson('META', (v) => { v.meta.argv = 'rm -rf'; }), /meta\.argv/);
  refused(withJson('META', (v) => { v.tables.threads = 5; }), /THRD chunks hold 1 items, the header says 5/);
});

test('huge counts and chunk sizes are refused before anything is allocated', () => {
  refused(withJson('META', (v) => { v.eventCount = 2 ** 31 - 1; }), /EVTS chunks hold/);
  refused(withJson('META', (v) => { v.eventCount = 1e12; }), /header\.eventCount/);
  const chunks = chunksOf(encodeTrace(sample(100)));
  const evts = chunks.find((c) => c.tag === 'EVTS')!;
  evts.count = 2 ** 32 - 1; // the payload no longer matches the rows it claims
  refused(assemble(chunks), /event chunk size does not match/);
  const ok = chunksOf(encodeTrace(sample(100)));
  refused(assemble(ok, (index) => index.writeUInt32LE(2 ** 31, 16)), /chunk too large|offset out of bounds/);
  refused(assemble(ok, (index) => index.writeUInt32LE(999999, 8)), /offset out of bounds/);
  refused(assemble(ok, (index) => index.write('ZZZZ', 0, 'latin1')), /unknown chunk type/);
  const swapped = chunksOf(encodeTrace(sample(100)));
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  refused(assemble(swapped), /out of order/);
});

test('a shared access keeps an int value inline (negative a), and only there', () => {
  const s = sample(10);
  s.push(K.SHARED_READ, 9, 9, 0, 9, 0, -(2 ** 51 + 41), 0);
  assert.equal(decodeTrace(encodeTrace(s)).a[s.length - 1], -(2 ** 51 + 41));
  refused(withEvent((t) => t.push(K.TASK_RUN, 9, 10, 0, 1, 0, -5, 0)), /\.a: -5 is not a string index/);
});

test('a store of millions of events grows in place: about 52 bytes per event, not a doubled copy', () => {
  const s = new TraceStore();
  s.trackUpdates = false;
  const n = 3_000_000;
  for (let i = 0; i < n; i++) s.push(K.LOCK_HOLD, i, i + 1, 0, 9, -1, 0, 0);
  // Capacity beyond a million events: a million or 1/16 more than needed, never twice.
  assert.ok(s.kind.length >= n && s.kind.length <= n + (1 << 20), `capacity ${s.kind.length}`);
  assert.ok(s.columnBytes() / n < 64, `${(s.columnBytes() / n).toFixed(1)} B/event`);
  assert.equal(s.ts[n - 1], n - 1);
  assert.equal(s.end[0], 1);
  // A store loaded from a file (exact-size columns) keeps growing the same way.
  const small = sample(10);
  const back = decodeTrace(encodeTrace(small));
  for (let i = 0; i < 2_000_000; i++) back.push(K.SLEEP, 5, 6, 0, 0, -1, 0, 0);
  assert.equal(back.length, small.length + 2_000_000);
  assert.deepEqual(back.columns().ts.subarray(0, small.length), small.columns().ts);
});

test('a symlink planted at the old predictable temp name (<out>.tmp-<pid>) is not written through', () => {
  const victim = path.join(dir, 'victim-old-name.txt');
  fs.writeFileSync(victim, 'keep me');
  const out = path.join(dir, 'predictable.ctrace');
  fs.symlinkSync(victim, `${out}.tmp-${process.pid}`);
  writeTrace(out, sample(10));
  assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me');
  assert.equal(readTrace(out).length, 13);
  fs.rmSync(`${out}.tmp-${process.pid}`);
});

test('a library thread and a library asyncio task keep their package through a save (schema 3)', () => {
  const s = sample(10);
  s.addThread({ process: 0, pid: 1, ident: 6, nativeId: 2, name: 'IO loop', startTs: 1, endTs: 9, daemon: true, internal: false, library: 'distributed', main: false, exception: null });
  s.objects.set(11, { id: 11, type: 'asyncio.Task', label: '', pid: 1, site: 0, library: 'tornado' });
  const data = encodeTrace(s);
  const back = decodeTrace(data);
  assert.equal(back.threads[1].library, 'distributed');
  assert.equal(back.threads[0].library, undefined);
  assert.equal(back.objects.get(11)?.library, 'tornado');
  assert.equal(back.objects.get(9)?.library, undefined);
  assert.equal(JSON.parse(chunksOf(data).find((c) => c.tag === 'META')!.payload.toString('utf8')).schemaVersion, 3);
});

test('a schema 2 trace (before library packages) still reads, with no thread or object of a library', () => {
  const back = decodeTrace(withJson('META', (v) => { v.schemaVersion = 2; }));
  assert.equal(back.threads.length, 1);
  assert.equal(back.threads[0].library, undefined);
  assert.equal(back.objects.get(9)?.library, undefined);
});

test('a library field that is not a short package name is refused', () => {
  refused(withJson('THRD', (v) => { v[0].library = 5; }), /threads\[0\]\.library: 5 is not a package name/);
  refused(withJson('THRD', (v) => { v[0].library = ''; }), /threads\[0\]\.library/);
  refused(withJson('OBJS', (v) => { v[0].library = 'x'.repeat(201); }), /objects\[0\]\.library/);
  refused(withJson('META', (v) => { v.schemaVersion = 1; }), /header\.schemaVersion: 1 \(this build reads 2 to 3\)/);
});
