/**
 * The saved trace (.ctrace): one file a run leaves behind, read by `summary`,
 * `export`, the HTML report and the extension's trace editor.
 *
 * Layout: "CTRACE-TRACE-v1\n" · u32 JSON length · JSON tables · event columns
 * (raw little-endian typed arrays, each padded to 8 bytes) · trailer
 * "CTEND\0\0\0" · u32 crc32 of everything before the trailer. A missing or
 * wrong trailer means the file is truncated or damaged.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { ObjectInfo, ProcessInfo, SiteInfo, ThreadInfo } from './traceModel';
import { TraceStore } from './traceStore';

const MAGIC = 'CTRACE-TRACE-v1\n';
const TRAILER = 'CTEND\0\0\0';
export const TRACE_SCHEMA_VERSION = 1;

export class TraceFileError extends Error {}

interface Tables {
  schemaVersion: number;
  eventCount: number;
  meta: TraceStore['meta'];
  processes: ProcessInfo[];
  threads: ThreadInfo[];
  sites: SiteInfo[];
  objects: ObjectInfo[];
  strings: string[];
}

const COLUMNS = [
  ['kind', Uint16Array], ['ts', Float64Array], ['end', Float64Array], ['thread', Int32Array],
  ['obj', Float64Array], ['site', Int32Array], ['a', Float64Array], ['b', Float64Array],
] as const;

const pad8 = (n: number): number => (n + 7) & ~7;

export function encodeTrace(store: TraceStore): Buffer {
  const tables: Tables = {
    schemaVersion: TRACE_SCHEMA_VERSION,
    eventCount: store.length,
    meta: store.meta,
    processes: store.processes,
    threads: store.threads.map((t) => ({ ...t, endTs: Number.isNaN(t.endTs) ? -1 : t.endTs })),
    sites: store.sites,
    objects: [...store.objects.values()],
    strings: store.strings,
  };
  const json = Buffer.from(JSON.stringify(tables), 'utf8');
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  parts.push(len, json, Buffer.alloc(pad8(json.length) - json.length));
  const cols = store.columns();
  for (const [name] of COLUMNS) {
    const col = cols[name];
    const bytes = Buffer.from(col.buffer, col.byteOffset, col.byteLength);
    parts.push(bytes, Buffer.alloc(pad8(bytes.length) - bytes.length));
  }
  const body = Buffer.concat(parts);
  const trailer = Buffer.alloc(12);
  trailer.write(TRAILER, 0, 'latin1');
  trailer.writeUInt32LE(zlib.crc32(body), 8);
  return Buffer.concat([body, trailer]);
}

export function writeTrace(file: string, store: TraceStore): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, encodeTrace(store));
  fs.renameSync(tmp, file);
}

export function decodeTrace(data: Buffer, name = 'trace'): TraceStore {
  if (data.length < MAGIC.length + 4 || data.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new TraceFileError(`${name} is not a Concurrency Trace file`);
  }
  if (data.length < MAGIC.length + 16 || data.toString('latin1', data.length - 12, data.length - 4) !== TRAILER) {
    throw new TraceFileError(`${name} is truncated (no end marker): the run that wrote it may have been interrupted`);
  }
  const body = data.subarray(0, data.length - 12);
  if (zlib.crc32(body) !== data.readUInt32LE(data.length - 4)) {
    throw new TraceFileError(`${name} is damaged (checksum mismatch)`);
  }
  let at = MAGIC.length;
  const jsonLen = body.readUInt32LE(at);
  at += 4;
  let tables: Tables;
  try {
    tables = JSON.parse(body.toString('utf8', at, at + jsonLen)) as Tables;
  } catch {
    throw new TraceFileError(`${name} is damaged (unreadable tables)`);
  }
  if (tables.schemaVersion !== TRACE_SCHEMA_VERSION) {
    throw new TraceFileError(`${name} has schema version ${tables.schemaVersion}; this Concurrency Trace reads ${TRACE_SCHEMA_VERSION}`);
  }
  at += pad8(jsonLen);
  const store = new TraceStore();
  const n = tables.eventCount;
  const columns: Record<string, Uint16Array | Float64Array | Int32Array> = {};
  for (const [key, Type] of COLUMNS) {
    const bytes = n * Type.BYTES_PER_ELEMENT;
    if (at + bytes > body.length) throw new TraceFileError(`${name} is damaged (event columns cut short)`);
    // Copy into an aligned buffer: the slice may sit at any offset.
    const col = new Type(Math.max(n, 1));
    new Uint8Array(col.buffer).set(body.subarray(at, at + bytes));
    columns[key] = col;
    at += pad8(bytes);
  }
  store.kind = columns.kind as Uint16Array;
  store.ts = columns.ts as Float64Array;
  store.end = columns.end as Float64Array;
  store.thread = columns.thread as Int32Array;
  store.obj = columns.obj as Float64Array;
  store.site = columns.site as Int32Array;
  store.a = columns.a as Float64Array;
  store.b = columns.b as Float64Array;
  store.length = n;
  store.meta = tables.meta;
  for (const s of tables.strings.slice(1)) store.intern(s);
  for (const s of tables.sites) store.addSite(s.file, s.line, s.func);
  for (const p of tables.processes) store.addProcess(p);
  for (const t of tables.threads) store.addThread({ ...t, endTs: t.endTs < 0 ? NaN : t.endTs });
  for (const o of tables.objects) store.objects.set(o.id, o);
  return store;
}

export function readTrace(file: string): TraceStore {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TraceFileError(e.code === 'ENOENT' ? `Trace file not found: ${file}` : `Cannot read ${file}: ${e.message}`);
  }
  return decodeTrace(data, file);
}
