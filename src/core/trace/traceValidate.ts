/**
 * Every field of a trace file, checked before anything uses it. A trace may
 * come from anyone (a colleague, a bug report, an attacker) and the CLI, the
 * timeline and the HTML report index arrays and allocate by what it says: an
 * object or core index of 1e9, a NaN timestamp or a thread index out of range
 * must be refused with a message, not crash, hang or exhaust memory.
 *
 * Known fields are checked by type and range (indexes against the tables
 * they point into); fields this version does not know are kept when they are
 * plain values (a newer build may add some) and dropped otherwise.
 */
import { K as KINDS, kindInfo as lookUpKind, SAMPLE_CORE as CORE_SAMPLE, SAMPLE_CPU as CPU_SAMPLE } from './recordKinds';
import type { ObjectInfo, ProcessInfo, SiteInfo, ThreadInfo } from './traceModel';
import type { TraceStore } from './traceStore';
import { MAX_CORES, MAX_LIBRARY_NAME, MAX_ROWS, MAX_TS, OLDEST_SCHEMA_VERSION, SCHEMA_VERSION } from './traceFormat';
import { BadMergeInfo, validateMergeInfo } from '../merge/mergeInfo';

// Module-level copies: an imported binding can be a getter on every access (checkRows runs per event).
const K = KINDS;
const kindInfo = lookUpKind;
const SAMPLE_CORE = CORE_SAMPLE;
const SAMPLE_CPU = CPU_SAMPLE;

/** What is wrong, naming the field ("threads[3].process: 7 is not a process index"). */
export class BadTrace extends Error {}

export interface TableSizes {
  processes: number;
  threads: number;
  sites: number;
  objects: number;
  strings: number;
}

export interface TraceHeader {
  eventCount: number;
  tables: TableSizes;
  meta: TraceStore['meta'];
}

type Json = unknown;

const MAX_TEXT = 64 << 20;
const MAX_LIST = 1 << 20;

const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, what: string): never {
  throw new BadTrace(`${where}: ${what}`);
}

function text(v: Json, where: string): string {
  if (typeof v !== 'string') fail(where, 'not a string');
  if (v.length > MAX_TEXT) fail(where, 'string too long');
  return v;
}

function textOrNull(v: Json, where: string): string | null {
  return v === null ? null : text(v, where);
}

function bool(v: Json, where: string): boolean {
  if (typeof v !== 'boolean') fail(where, 'not true or false');
  return v;
}

function int(v: Json, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(where, `${describe(v)} is not an integer in [${min}, ${max}]`);
  return v;
}

function intOrNull(v: Json, where: string, min: number, max: number): number | null {
  return v === null ? null : int(v, where, min, max);
}

function finite(v: Json, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, `${describe(v)} is not a finite number`);
  return v;
}

function time(v: Json, where: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= MAX_TS)) fail(where, `${describe(v)} is not a time (ns, 0 to 2^53)`);
  return v;
}

function textList(v: Json, where: string): string[] {
  if (!Array.isArray(v)) fail(where, 'not a list');
  if (v.length > MAX_LIST) fail(where, 'list too long');
  return v.map((s, i) => text(s, `${where}[${i}]`));
}

/** A library's package name (absent in files written before schema 3): a short non-empty string. */
function library(v: Json, where: string): { library?: string } {
  if (v === undefined) return {};
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_LIBRARY_NAME) fail(where, `${describe(v)} is not a package name`);
  return { library: v };
}

function describe(v: Json): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return 'a string';
  return v === null ? 'null' : v === undefined ? 'missing' : typeof v;
}

const KNOWN = {
  meta: new Set(['exitCode', 'signal', 'argv', 'startedAt', 'python', 'merge']),
  process: new Set(['index', 'pid', 'ppid', 'parentPid', 'name', 'argv', 'python', 'startTs', 'endTs', 'exited', 'exitCode', 'signal', 'internal', 'wallNsAtStart', 'mainThread']),
  thread: new Set(['index', 'process', 'pid', 'ident', 'nativeId', 'name', 'startTs', 'endTs', 'daemon', 'internal', 'library', 'main', 'exception']),
  site: new Set(['file', 'line', 'func']),
  object: new Set(['id', 'type', 'label', 'pid', 'site', 'library']),
};

/** Plain values a newer build added: strings, finite numbers, booleans, null, and short lists of them. */
function plain(v: Json, depth = 0): boolean {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'string') return v.length <= MAX_TEXT;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v) && depth === 0) return v.length <= 10000 && v.every((x) => plain(x, 1));
  return false;
}

function extras(v: Record<string, Json>, known: Set<string>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) if (!known.has(k) && k !== '__proto__' && plain(x)) out[k] = x;
  return out;
}

const PID_MAX = 0x7fffffff;

/** The META chunk: schema version, sizes, run metadata. */
export function validateHeader(v: Json): TraceHeader {
  if (!isRecord(v)) fail('header', 'not an object');
  const version = v.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < OLDEST_SCHEMA_VERSION || version > SCHEMA_VERSION) {
    fail('header.schemaVersion', `${describe(version)} (this build reads ${OLDEST_SCHEMA_VERSION} to ${SCHEMA_VERSION})`);
  }
  const eventCount = int(v.eventCount, 'header.eventCount', 0, MAX_ROWS);
  const t = v.tables;
  if (!isRecord(t)) fail('header.tables', 'not an object');
  const tables: TableSizes = {
    processes: int(t.processes, 'header.tables.processes', 0, MAX_ROWS),
    threads: int(t.threads, 'header.tables.threads', 0, MAX_ROWS),
    sites: int(t.sites, 'header.tables.sites', 0, MAX_ROWS),
    objects: int(t.objects, 'header.tables.objects', 0, MAX_ROWS),
    strings: int(t.strings, 'header.tables.strings', 1, MAX_ROWS),
  };
  const m = v.meta;
  if (!isRecord(m)) fail('meta', 'not an object');
  const meta = {
    ...extras(m, KNOWN.meta),
    exitCode: intOrNull(m.exitCode, 'meta.exitCode', -0x80000000, 0x7fffffff),
    signal: textOrNull(m.signal, 'meta.signal'),
    argv: textList(m.argv, 'meta.argv'),
    startedAt: text(m.startedAt, 'meta.startedAt'),
    python: text(m.python, 'meta.python'),
    // A combined trace (concurrency-trace merge): its hosts, parts and clock offsets.
    ...(m.merge === undefined ? {} : { merge: mergeMeta(m.merge) }),
  };
  return { eventCount, tables, meta };
}

function mergeMeta(v: Json): ReturnType<typeof validateMergeInfo> {
  try {
    return validateMergeInfo(v);
  } catch (err) {
    if (err instanceof BadMergeInfo) throw new BadTrace(err.message);
    throw err;
  }
}

/** Checks the items of one table as they arrive, chunk by chunk. */
export class TableChecker {
  private readonly objectIds = new Set<number>();

  constructor(private readonly sizes: TableSizes) {}

  process(v: Json, index: number): ProcessInfo {
    const w = `processes[${index}]`;
    if (!isRecord(v)) fail(w, 'not an object');
    if (v.index !== index) fail(`${w}.index`, `${describe(v.index)} is not its position`);
    return {
      ...extras(v, KNOWN.process),
      index,
      pid: int(v.pid, `${w}.pid`, 0, PID_MAX),
      ppid: int(v.ppid, `${w}.ppid`, 0, PID_MAX),
      parentPid: int(v.parentPid, `${w}.parentPid`, 0, PID_MAX),
      name: text(v.name, `${w}.name`),
      argv: textList(v.argv, `${w}.argv`),
      python: text(v.python, `${w}.python`),
      startTs: time(v.startTs, `${w}.startTs`),
      endTs: time(v.endTs, `${w}.endTs`),
      exited: bool(v.exited, `${w}.exited`),
      exitCode: intOrNull(v.exitCode, `${w}.exitCode`, -0x80000000, 0x7fffffff),
      signal: intOrNull(v.signal, `${w}.signal`, 1, 127),
      internal: bool(v.internal, `${w}.internal`),
      wallNsAtStart: v.wallNsAtStart === null ? null : finite(v.wallNsAtStart, `${w}.wallNsAtStart`),
      mainThread: int(v.mainThread, `${w}.mainThread`, -1, this.sizes.threads - 1),
    };
  }

  thread(v: Json, index: number): ThreadInfo {
    const w = `threads[${index}]`;
    if (!isRecord(v)) fail(w, 'not an object');
    if (v.index !== index) fail(`${w}.index`, `${describe(v.index)} is not its position`);
    // A running thread's end is saved as -1 (JSON has no NaN).
    const endTs = v.endTs === -1 ? NaN : time(v.endTs, `${w}.endTs`);
    return {
      ...extras(v, KNOWN.thread),
      index,
      process: int(v.process, `${w}.process`, 0, this.sizes.processes - 1),
      pid: int(v.pid, `${w}.pid`, 0, PID_MAX),
      ident: finite(v.ident, `${w}.ident`),
      nativeId: int(v.nativeId, `${w}.nativeId`, 0, PID_MAX),
      name: text(v.name, `${w}.name`),
      startTs: time(v.startTs, `${w}.startTs`),
      endTs,
      daemon: bool(v.daemon, `${w}.daemon`),
      internal: bool(v.internal, `${w}.internal`),
      ...library(v.library, `${w}.library`),
      main: bool(v.main, `${w}.main`),
      exception: textOrNull(v.exception, `${w}.exception`),
    };
  }

  site(v: Json, index: number): SiteInfo {
    const w = `sites[${index}]`;
    if (!isRecord(v)) fail(w, 'not an object');
    return { ...extras(v, KNOWN.site), file: text(v.file, `${w}.file`), line: int(v.line, `${w}.line`, 0, 0x7fffffff), func: text(v.func, `${w}.func`) } as SiteInfo;
  }

  object(v: Json, index: number): ObjectInfo {
    const w = `objects[${index}]`;
    if (!isRecord(v)) fail(w, 'not an object');
    const id = finite(v.id, `${w}.id`);
    if (this.objectIds.has(id)) fail(`${w}.id`, `${id} appears twice`);
    this.objectIds.add(id);
    return {
      ...extras(v, KNOWN.object),
      id,
      type: text(v.type, `${w}.type`),
      label: text(v.label, `${w}.label`),
      pid: int(v.pid, `${w}.pid`, 0, PID_MAX),
      site: int(v.site, `${w}.site`, -1, this.sizes.sites - 1),
      ...library(v.library, `${w}.library`),
    } as ObjectInfo;
  }

  string(v: Json, index: number): string {
    const s = text(v, `strings[${index}]`);
    if (index === 0 && s !== '') fail('strings[0]', 'must be the empty string');
    return s;
  }
}

const isIndex = (v: number, size: number): boolean => Number.isInteger(v) && v >= 0 && v < size;

/** Kinds whose `a` holds either a string index or a negative inline int (shared reads and writes). */
const INLINE_VALUES = new Set([K.SHARED_READ, K.SHARED_WRITE]);

export interface EventColumns {
  kind: Uint16Array;
  ts: Float64Array;
  end: Float64Array;
  thread: Int32Array;
  obj: Float64Array;
  site: Int32Array;
  a: Float64Array;
  b: Float64Array;
}

/**
 * Checks rows [from, to) of the event columns: a known kind; times on the
 * run clock, a span's end not before its start (NaN while open), a point's
 * end equal to its start; thread and site indexes in their tables (−1 only
 * where the kind allows); string fields inside the string table; a core
 * number that a viewer can allocate lanes for.
 */
export function checkRows(c: EventColumns, from: number, to: number, sizes: TableSizes): void {
  const { kind, ts, end, thread, obj, site, a, b } = c;
  for (let i = from; i < to; i++) {
    const k = kind[i];
    const info = kindInfo(k);
    const w = `event ${i}`;
    if (!info) fail(w, `unknown kind ${k}`);
    const t = ts[i];
    if (!(t >= 0 && t <= MAX_TS)) fail(`${w}.ts`, `${t} is not a time (ns, 0 to 2^53)`);
    const e = end[i];
    if (info.span ? !(Number.isNaN(e) || (e >= t && e <= MAX_TS)) : e !== t) fail(`${w}.end`, `${e} does not fit a ${info.span ? 'span' : 'point'} starting at ${t}`);
    const th = thread[i];
    const sample = k === SAMPLE_CPU || k === SAMPLE_CORE;
    if (!(th >= (sample ? -1 : 0) && th < sizes.threads)) fail(`${w}.thread`, `${th} is not a thread index`);
    const s = site[i];
    if (!(s >= -1 && s < sizes.sites)) fail(`${w}.site`, `${s} is not a site index`);
    const o = obj[i];
    if (!Number.isFinite(o)) fail(`${w}.obj`, `${o} is not a finite number`);
    const av = a[i];
    const bv = b[i];
    // A number field may be NaN (no value) but not infinite; a string field indexes the strings
    // (a shared access's value may instead be an int inline, negative: see events.py).
    const inline = INLINE_VALUES.has(k) && Number.isSafeInteger(av) && av < 0;
    if (info.a === 'str' ? !(isIndex(av, sizes.strings) || inline) : av === Infinity || av === -Infinity) fail(`${w}.a`, `${av} is not ${info.a === 'str' ? 'a string index' : 'a number'}`);
    if (info.b === 'str' ? !isIndex(bv, sizes.strings) : bv === Infinity || bv === -Infinity) fail(`${w}.b`, `${bv} is not ${info.b === 'str' ? 'a string index' : 'a number'}`);
    if (k === SAMPLE_CORE) {
      if (!(Number.isInteger(o) && o >= 0 && o < MAX_CORES)) fail(`${w}.obj`, `${o} is not a core number`);
      if (th !== -1) fail(`${w}.thread`, 'a core sample belongs to no thread');
      if (!(av >= 0 && av <= 100)) fail(`${w}.a`, `${av} is not a utilization %`);
    } else if (k === SAMPLE_CPU) {
      if (!(Number.isInteger(o) && o >= 0 && o <= PID_MAX)) fail(`${w}.obj`, `${o} is not a pid`);
      if (!(av >= 0 && av <= 100 * MAX_CORES)) fail(`${w}.a`, `${av} is not a CPU %`);
      // A thread sample packs core + 256 × state letter into b.
      if (th >= 0 && !(Number.isInteger(bv) && bv >= 0 && bv < 65536)) fail(`${w}.b`, `${bv} is not a thread state and core`);
    }
  }
}
