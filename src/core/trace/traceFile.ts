/**
 * The saved trace (.ctrace): one file a run leaves behind, read by `summary`,
 * `export`, the HTML report and the extension's trace editor. The layout is
 * in traceFormat.ts; every field read back is checked by traceValidate.ts.
 *
 * Written and read a chunk at a time: memory while saving is the store plus
 * one chunk, and while loading the store (52 bytes per event) plus one chunk.
 * Files of version 1 (earlier builds) are refused with a message that says
 * to run the script again.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { AtomicFile } from './safeFile';
import {
  CHUNK_HEADER, CHUNK_TAGS, COLUMNS, INDEX_ENTRY, MAGIC, MAGIC_V1, MAX_CHUNK, MAX_INDEX, MAX_META, ROWS_PER_CHUNK,
  SCHEMA_VERSION, TABLE_CHUNK_BYTES, TABLE_TAGS, TRAILER_MAGIC, TRAILER_SIZE, eventChunkBytes, pad8,
  type ChunkTag, type IndexEntry, type TableTag,
} from './traceFormat';
import { BadTrace, TableChecker, checkRows, validateHeader, type EventColumns, type TableSizes } from './traceValidate';
import { TraceStore } from './traceStore';

export const TRACE_SCHEMA_VERSION = SCHEMA_VERSION;

export class TraceFileError extends Error {}

if (os.endianness() !== 'LE') throw new Error('Concurrency Trace files are little-endian; this platform is not');

// ---------------------------------------------------------------- writing

type Sink = (bytes: Uint8Array) => void;

const ZEROS = Buffer.alloc(8);

/** Writes the chunks of a trace to `sink`, in order, one chunk in memory at a time. */
export function writeTraceTo(store: TraceStore, sink: Sink): number {
  let offset = 0;
  for (const piece of traceBytes(store)) {
    sink(piece);
    offset += piece.byteLength;
  }
  return offset;
}

/**
 * The bytes of a trace file, in order, one chunk in memory at a time. A piece
 * may be a view of a buffer reused for the next event chunk: use it (write it)
 * before asking for the next. A generator, so that a writer can pause between
 * chunks (see traceSave.ts: the CLI answers signals while a large trace is saved).
 */
export function* traceBytes(store: TraceStore): Generator<Uint8Array, void, undefined> {
  let offset = 0;
  const index: IndexEntry[] = [];
  const pending: Uint8Array[] = [];
  const emit = (b: Uint8Array): void => {
    pending.push(b);
    offset += b.byteLength;
  };
  const chunk = (tag: ChunkTag, payload: Uint8Array, count: number): void => {
    const crc = zlib.crc32(payload);
    const header = Buffer.alloc(CHUNK_HEADER);
    header.write(tag, 0, 'latin1');
    header.writeUInt32LE(payload.byteLength, 4);
    header.writeUInt32LE(crc, 8);
    header.writeUInt32LE(count, 12);
    if (tag !== 'INDX') index.push({ tag, count, offset, length: payload.byteLength, crc });
    emit(header);
    emit(payload);
    const pad = pad8(payload.byteLength) - payload.byteLength;
    if (pad) emit(ZEROS.subarray(0, pad));
  };
  // What chunk() made, handed out before the next one is made.
  function* drain(): Generator<Uint8Array, void, undefined> {
    yield* pending.splice(0);
  }

  emit(Buffer.from(MAGIC, 'latin1'));
  const header = {
    schemaVersion: SCHEMA_VERSION,
    eventCount: store.length,
    tables: { processes: store.processes.length, threads: store.threads.length, sites: store.sites.length, objects: store.objects.size, strings: store.strings.length },
    meta: store.meta,
  };
  chunk('META', Buffer.from(JSON.stringify(header), 'utf8'), 1);
  yield* drain();
  function* table(tag: TableTag, items: Iterable<unknown>): Generator<Uint8Array, void, undefined> {
    let parts: string[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (parts.length) chunk(tag, Buffer.from(`[${parts.join(',')}]`, 'utf8'), parts.length);
      parts = [];
      bytes = 0;
    };
    for (const item of items) {
      const json = JSON.stringify(item);
      parts.push(json);
      bytes += json.length + 1;
      if (bytes >= TABLE_CHUNK_BYTES) {
        flush();
        yield* drain();
      }
    }
    flush();
    yield* drain();
  }
  yield* table('PROC', store.processes);
  // JSON has no NaN: a running thread's end is saved as -1.
  yield* table('THRD', (function* threads() {
    for (const t of store.threads) yield Number.isNaN(t.endTs) ? { ...t, endTs: -1 } : t;
  })());
  yield* table('SITE', store.sites);
  yield* table('OBJS', store.objects.values());
  yield* table('STRS', store.strings);

  const cols = store.columns();
  const buf = Buffer.alloc(eventChunkBytes(Math.min(ROWS_PER_CHUNK, Math.max(store.length, 1))));
  for (let row = 0; row < store.length; row += ROWS_PER_CHUNK) {
    const rows = Math.min(ROWS_PER_CHUNK, store.length - row);
    let at = 0;
    for (const c of COLUMNS) {
      const col = cols[c.name];
      const bytes = rows * c.bytes;
      buf.set(new Uint8Array(col.buffer, col.byteOffset + row * c.bytes, bytes), at);
      buf.fill(0, at + bytes, at + pad8(bytes));
      at += pad8(bytes);
    }
    chunk('EVTS', buf.subarray(0, at), rows);
    // buf is filled again for the next chunk: this one goes out first.
    yield* drain();
  }

  const indexOffset = offset;
  const entries = Buffer.alloc(index.length * INDEX_ENTRY);
  index.forEach((e, i) => {
    const at = i * INDEX_ENTRY;
    entries.write(e.tag, at, 'latin1');
    entries.writeUInt32LE(e.count, at + 4);
    entries.writeUInt32LE(e.offset % 2 ** 32, at + 8);
    entries.writeUInt32LE(Math.floor(e.offset / 2 ** 32), at + 12);
    entries.writeUInt32LE(e.length, at + 16);
    entries.writeUInt32LE(e.crc, at + 20);
  });
  chunk('INDX', entries, index.length);
  const trailer = Buffer.alloc(TRAILER_SIZE);
  trailer.write(TRAILER_MAGIC, 0, 'latin1');
  trailer.writeUInt32LE(indexOffset % 2 ** 32, 8);
  trailer.writeUInt32LE(Math.floor(indexOffset / 2 ** 32), 12);
  trailer.writeUInt32LE(entries.length, 16);
  trailer.writeUInt32LE(zlib.crc32(trailer.subarray(0, 20)), 20);
  emit(trailer);
  yield* drain();
}

/** The whole file in one Buffer (small traces, tests, in-memory users). */
export function encodeTrace(store: TraceStore): Buffer {
  const parts: Buffer[] = [];
  writeTraceTo(store, (b) => parts.push(Buffer.from(b)));
  return Buffer.concat(parts);
}

/**
 * Saves a trace: streamed into a private temp file next to `file`, flushed,
 * then renamed over it (see safeFile.ts). Returns the bytes written.
 * Throws DestinationError when the file cannot be written.
 */
export function writeTrace(file: string, store: TraceStore): number {
  const out = new AtomicFile(file);
  let bytes: number;
  try {
    bytes = writeTraceTo(store, (b) => out.write(b));
  } catch (err) {
    out.abort();
    throw err;
  }
  out.commit();
  return bytes;
}

// ---------------------------------------------------------------- reading

/** Random access to the bytes of a trace: a file read piecewise, or a Buffer. */
interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

class FileSource implements ByteSource {
  constructor(private readonly fd: number, readonly size: number) {}

  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) throw new BadTrace('file ends early (it changed while being read?)');
      got += n;
    }
    return buf;
  }
}

class BufferSource implements ByteSource {
  constructor(private readonly data: Buffer) {}

  get size(): number {
    return this.data.length;
  }

  read(offset: number, length: number): Buffer {
    return this.data.subarray(offset, offset + length);
  }
}

const u64 = (b: Buffer, at: number): number => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 2 ** 32;

/** The index entries, after checking that they tile the file between the magic and the index. */
function readIndex(src: ByteSource): IndexEntry[] {
  const trailer = src.read(src.size - TRAILER_SIZE, TRAILER_SIZE);
  if (trailer.toString('latin1', 0, 8) !== TRAILER_MAGIC) throw new Truncated();
  if (zlib.crc32(trailer.subarray(0, 20)) !== trailer.readUInt32LE(20)) throw new BadTrace('end marker checksum mismatch');
  const indexOffset = u64(trailer, 8);
  const indexLength = trailer.readUInt32LE(16);
  if (indexLength > MAX_INDEX || indexLength % INDEX_ENTRY !== 0) throw new BadTrace('index size out of bounds');
  if (indexOffset < MAGIC.length || indexOffset + CHUNK_HEADER + pad8(indexLength) !== src.size - TRAILER_SIZE) {
    throw new BadTrace('index offset out of bounds');
  }
  const payload = readChunk(src, { tag: 'INDX', count: indexLength / INDEX_ENTRY, offset: indexOffset, length: indexLength, crc: -1 });
  const entries: IndexEntry[] = [];
  let next = MAGIC.length;
  let rank = 0;
  for (let at = 0; at < payload.length; at += INDEX_ENTRY) {
    const tag = payload.toString('latin1', at, at + 4) as ChunkTag;
    const e: IndexEntry = { tag, count: payload.readUInt32LE(at + 4), offset: u64(payload, at + 8), length: payload.readUInt32LE(at + 16), crc: payload.readUInt32LE(at + 20) };
    const where = `index entry ${entries.length}`;
    const r = CHUNK_TAGS.indexOf(tag);
    if (r < 0 || tag === 'INDX') throw new BadTrace(`${where}: unknown chunk type`);
    // Chunks follow one another with no gap, in the order META, tables, events.
    if (r < rank || (tag === 'META' && entries.length > 0)) throw new BadTrace(`${where}: chunk out of order`);
    rank = r;
    if (e.offset !== next) throw new BadTrace(`${where}: offset out of bounds`);
    if (e.length > (tag === 'META' ? MAX_META : MAX_CHUNK)) throw new BadTrace(`${where}: chunk too large`);
    next = e.offset + CHUNK_HEADER + pad8(e.length);
    if (next > indexOffset) throw new BadTrace(`${where}: chunk runs past the index`);
    if (tag === 'EVTS' && e.length !== eventChunkBytes(e.count)) throw new BadTrace(`${where}: event chunk size does not match its rows`);
    entries.push(e);
  }
  if (next !== indexOffset) throw new BadTrace('index does not cover the file');
  if (entries[0]?.tag !== 'META') throw new BadTrace('no header chunk');
  return entries;
}

/** A chunk's payload, after checking its header against the index and its checksum. */
function readChunk(src: ByteSource, e: IndexEntry): Buffer {
  const header = src.read(e.offset, CHUNK_HEADER);
  const where = `${e.tag} chunk at ${e.offset}`;
  if (header.toString('latin1', 0, 4) !== e.tag || header.readUInt32LE(4) !== e.length || header.readUInt32LE(12) !== e.count) {
    throw new BadTrace(`${where}: header does not match the index`);
  }
  const crc = header.readUInt32LE(8);
  if (e.crc !== -1 && crc !== e.crc) throw new BadTrace(`${where}: checksum does not match the index`);
  const payload = src.read(e.offset + CHUNK_HEADER, e.length);
  if (zlib.crc32(payload) !== crc) throw new BadTrace(`${where}: checksum mismatch`);
  return payload;
}

function parseJson(payload: Buffer, where: string): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw new BadTrace(`${where}: unreadable JSON`);
  }
}

class Truncated extends Error {}

function allocColumns(n: number): EventColumns {
  // At least one slot: the store grows by doubling.
  const m = Math.max(n, 1);
  return {
    kind: new Uint16Array(m), ts: new Float64Array(m), end: new Float64Array(m), thread: new Int32Array(m),
    obj: new Float64Array(m), site: new Int32Array(m), a: new Float64Array(m), b: new Float64Array(m),
  };
}

function decodeFrom(src: ByteSource): TraceStore {
  const entries = readIndex(src);
  const header = validateHeader(parseJson(readChunk(src, entries[0]), 'header'));
  const sizes: TableSizes = header.tables;
  const totals: Record<string, number> = { PROC: 0, THRD: 0, SITE: 0, OBJS: 0, STRS: 0, EVTS: 0 };
  for (const e of entries.slice(1)) {
    if (e.tag === 'META') throw new BadTrace('two header chunks');
    totals[e.tag] += e.count;
  }
  const expected: Record<string, number> = {
    PROC: sizes.processes, THRD: sizes.threads, SITE: sizes.sites, OBJS: sizes.objects, STRS: sizes.strings, EVTS: header.eventCount,
  };
  for (const tag of Object.keys(expected)) {
    if (totals[tag] !== expected[tag]) throw new BadTrace(`${tag} chunks hold ${totals[tag]} items, the header says ${expected[tag]}`);
  }

  const store = new TraceStore();
  const check = new TableChecker(sizes);
  const seen: Record<TableTag, number> = { PROC: 0, THRD: 0, SITE: 0, OBJS: 0, STRS: 0 };
  const threads: ReturnType<TableChecker['thread']>[] = [];
  for (const e of entries) {
    if (!(TABLE_TAGS as readonly string[]).includes(e.tag)) continue;
    const tag = e.tag as TableTag;
    const items = parseJson(readChunk(src, e), `${tag} chunk`);
    if (!Array.isArray(items) || items.length !== e.count) throw new BadTrace(`${tag} chunk: not a list of ${e.count} items`);
    for (const item of items) {
      const i = seen[tag]++;
      if (tag === 'PROC') store.addProcess(check.process(item, i));
      else if (tag === 'THRD') threads.push(check.thread(item, i));
      else if (tag === 'SITE') {
        const s = check.site(item, i);
        if (store.addSite(s.file, s.line, s.func) !== i) throw new BadTrace(`sites[${i}]: appears twice`);
        Object.assign(store.sites[i], s);
      } else if (tag === 'OBJS') {
        const o = check.object(item, i);
        store.objects.set(o.id, o);
      } else {
        const s = check.string(item, i);
        if (i > 0 && store.intern(s) !== i) throw new BadTrace(`strings[${i}]: appears twice`);
      }
    }
  }
  // Threads after processes: a process's main thread must be one of its own threads.
  for (const t of threads) store.addThread(t);
  for (const p of store.processes) {
    if (p.mainThread >= 0 && store.threads[p.mainThread].process !== p.index) {
      throw new BadTrace(`processes[${p.index}].mainThread: thread ${p.mainThread} belongs to another process`);
    }
  }

  const n = header.eventCount;
  const cols = allocColumns(n);
  let row = 0;
  for (const e of entries) {
    if (e.tag !== 'EVTS') continue;
    const payload = readChunk(src, e);
    let at = 0;
    for (const c of COLUMNS) {
      const col = cols[c.name];
      const bytes = e.count * c.bytes;
      new Uint8Array(col.buffer, row * c.bytes, bytes).set(payload.subarray(at, at + bytes));
      at += pad8(bytes);
    }
    checkRows(cols, row, row + e.count, sizes);
    row += e.count;
  }
  Object.assign(store, cols);
  store.length = n;
  store.meta = header.meta;
  return store;
}

function decodeSource(src: ByteSource, name: string): TraceStore {
  const head = src.read(0, Math.min(src.size, MAGIC.length)).toString('latin1');
  if (head === MAGIC_V1) {
    throw new TraceFileError(`${name} was saved by an earlier version of Concurrency Trace (format 1), which this version does not read: run the script again to trace it`);
  }
  if (head !== MAGIC) {
    if (src.size < MAGIC.length && MAGIC.startsWith(head) && head.length > 0) throw new TraceFileError(`${name} is truncated: the run that wrote it may have been interrupted`);
    throw new TraceFileError(`${name} is not a Concurrency Trace file`);
  }
  try {
    if (src.size < MAGIC.length + CHUNK_HEADER + TRAILER_SIZE) throw new Truncated();
    return decodeFrom(src);
  } catch (err) {
    if (err instanceof Truncated) throw new TraceFileError(`${name} is truncated (no end marker): the run that wrote it may have been interrupted`);
    if (err instanceof BadTrace) throw new TraceFileError(`${name} is damaged (${err.message})`);
    if (err instanceof RangeError) throw new TraceFileError(`${name} is too large to load (${err.message})`);
    throw err;
  }
}

/** Reads a trace held in memory (e.g. what VS Code's file system API returned). */
export function decodeTrace(data: Buffer, name = 'trace'): TraceStore {
  return decodeSource(new BufferSource(data), name);
}

/**
 * Reads a trace file chunk by chunk. Only regular files are read (a FIFO,
 * /dev/zero or a folder is refused at once, without blocking), and nothing
 * is allocated beyond what the chunks found by the index hold.
 */
export function readTrace(file: string): TraceStore {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TraceFileError(e.code === 'ENOENT' ? `Trace file not found: ${file}` : `Cannot read ${file}: ${e.code === 'EACCES' ? 'permission denied' : e.message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new TraceFileError(`${file} is a folder, not a trace file`);
    if (!st.isFile()) throw new TraceFileError(`${file} is not a regular file, so not a Concurrency Trace file`);
    return decodeSource(new FileSource(fd, st.size), file);
  } catch (err) {
    if (err instanceof TraceFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code) throw new TraceFileError(`Cannot read ${file}: ${e.message}`);
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}
