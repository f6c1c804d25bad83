/**
 * Turns one process's raw records into store rows: resolves its strings,
 * sites and thread idents into the store's tables, folds metadata records
 * (sites, objects, names) into those tables, and follows open spans.
 */
import { emptyRecord, type RawRecord, type RecordBatch } from './eventFile';
import { K as KINDS, kindInfo as lookUpKind } from '../trace/recordKinds';
import type { ProcessInfo, ThreadInfo } from '../trace/traceModel';
import type { TraceStore } from '../trace/traceStore';
import { RemoteProcesses } from './remoteIngest';

interface ProcessMeta {
  argv?: string[];
  python?: string;
  wallNs?: number;
  monoNs?: number;
}

// Module-level copies: an imported binding can be a getter on every access.
const K = KINDS;
const kindInfo = lookUpKind;

/** What ingest needs to know of a kind, one byte per code (0: unknown kind). */
const KNOWN = 1;
const SPAN = 2;
const A_STR = 4;
const B_STR = 8;
/** Metadata and lifecycle records: folded into the tables by ProcessIngest.special. */
const SPECIAL = 16;
const SHARED = 32;
/** Processes this run did not trace, reported by one it traced (remoteIngest.ts). */
const REMOTE_KINDS = [K.REMOTE_PROCESS, K.REMOTE_THREAD, K.REMOTE_CLOCK, K.REMOTE_TASK_RUN];
const KIND_FLAGS = new Uint8Array(256);
for (let code = 0; code < KIND_FLAGS.length; code++) {
  const info = kindInfo(code);
  if (!info) continue;
  KIND_FLAGS[code] = KNOWN | (info.span ? SPAN : 0) | (info.a === 'str' ? A_STR : 0) | (info.b === 'str' ? B_STR : 0)
    | ([K.SITE, K.OBJECT, K.PROCESS_START, K.PROCESS_NAME, K.PROCESS_PARENT, K.PROCESS_EXIT, K.THREAD_START, K.THREAD_NAME,
      K.THREAD_EXCEPTION, ...REMOTE_KINDS].includes(code) ? SPECIAL : 0)
    | (code === K.SHARED_READ || code === K.SHARED_WRITE ? SHARED : 0);
}

export class ProcessIngest {
  private readonly blobs = new Map<number, string>();
  private readonly siteMap = new Map<number, number>();
  private readonly threadOf = new Map<number, ThreadInfo>();
  /** Slot offset → store row, for spans whose end is not written yet. */
  readonly openSpans = new Map<number, number>();
  process: ProcessInfo | undefined;
  private readonly scratch = emptyRecord();
  private remote: RemoteProcesses | undefined;

  /**
   * One ingest per event file.  A process that replaced its image with
   * os.exec* (loky starts its workers with fork + execve) has one file per
   * image: each has its own strings, sites and thread idents, and `sameProcess`
   * (the ingest of another file of this pid) makes them one process whose
   * main thread continues across the exec (one lane, not two).
   */
  constructor(private readonly store: TraceStore, readonly pid: number, sameProcess?: ProcessIngest) {
    // Whichever image's file is read first makes the process; the others join it, in either order.
    this.images = sameProcess ? sameProcess.images : { process: undefined, count: 0 };
    this.images.count++;
  }

  /** The process all files of this pid make, once one of them has records; and how many files there are. */
  private readonly images: { process: ProcessInfo | undefined; count: number };

  addBlobs(blobs: [number, string][]): void {
    for (const [id, text] of blobs) this.blobs.set(id, text);
  }

  private str(id: number): number {
    if (id === 0) return 0;
    const text = this.blobs.get(id);
    return text === undefined ? 0 : this.store.intern(text);
  }

  private text(id: number): string {
    return this.blobs.get(id) ?? '';
  }

  private ensureProcess(ts: number): ProcessInfo {
    if (this.process) return this.process;
    const shared = this.images.process;
    if (shared) return (this.process = shared);
    // Records before PROCESS_START (should not happen) still get a home.
    this.process = this.store.addProcess({
      pid: this.pid, ppid: 0, parentPid: 0, name: `pid ${this.pid}`, argv: [], python: '', startTs: ts,
      endTs: ts, exited: false, exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1,
    });
    this.images.process = this.process;
    return this.process;
  }

  private threadFor(ident: number, ts: number): ThreadInfo {
    let t = this.threadOf.get(ident);
    if (!t) {
      const p = this.ensureProcess(ts);
      t = this.store.addThread({
        process: p.index, pid: this.pid, ident, nativeId: 0, name: `Thread ${ident}`, startTs: ts, endTs: NaN,
        daemon: false, internal: false, main: p.mainThread < 0, exception: null,
      });
      if (p.mainThread < 0) p.mainThread = t.index;
      this.threadOf.set(ident, t);
    }
    return t;
  }

  ingest(records: RecordBatch): void {
    const store = this.store;
    const d = records.data;
    const n = records.length;
    // The thread of the previous record: records come in runs of one thread.
    let lastIdent = NaN;
    let lastThread = -1;
    for (let i = 0; i < n; i++) {
      const o = i * 10; // RecordBatch fields: offset, kind, ts, ident, obj, site, end, endRaw, a, b
      const kind = d[o + 1];
      const flags = kind < KIND_FLAGS.length ? KIND_FLAGS[kind] : 0;
      if (flags === 0) continue; // a newer runtime's kind: skip rather than guess
      const ts = d[o + 2];
      const p = this.process;
      if (p && ts > p.endTs) p.endTs = ts;
      if (flags & SPECIAL) {
        // Metadata and lifecycle records: rare, the general path.
        if (this.special(records.load(i, this.scratch))) continue;
        lastIdent = NaN; // may have started a thread under that ident
      }
      const ident = d[o + 3];
      if (ident !== lastIdent) {
        lastThread = this.threadFor(ident, ts).index;
        lastIdent = ident;
      }
      const ra = d[o + 8];
      const rb = d[o + 9];
      let a = flags & A_STR ? this.str(ra) : ra;
      let b = flags & B_STR ? this.str(rb) : rb;
      if (flags & SHARED) {
        // events.py: a < 0 is an int stored inline (kept as it is); an even part names a string of this
        // process: store it as 2 × the store's string index, so one name is one part in every process.
        if (ra < 0) a = ra;
        if (rb !== 0 && rb % 2 === 0) b = 2 * this.str(rb / 2);
      }
      const rawEnd = d[o + 6];
      const isSpan = (flags & SPAN) !== 0;
      const end = isSpan ? (rawEnd === 0 ? NaN : rawEnd) : ts;
      const local = d[o + 5];
      const site = local === 0 ? -1 : this.siteMap.get(local) ?? -1;
      // THREAD_START b above its flag bits names a string of this process (its library): flags only.
      const row = store.push(kind, ts, end, lastThread, d[o + 4], site, a, kind === K.THREAD_START ? b % 8 : b);
      if (isSpan && rawEnd === 0) this.openSpans.set(d[o], row);
      if (kind === K.THREAD_START && rawEnd !== 0) threadEnded(store.threads[lastThread], ts, rawEnd);
      if (kind === K.ASYNC_CREATE && d[o + 7] !== 0) this.libraryTask(d[o + 4], site, d[o + 7]);
    }
  }

  /**
   * A metadata or lifecycle record (SPECIAL in KIND_FLAGS): folds it into the
   * tables; returns true when it is not kept as an event row.
   */
  private special(r: RawRecord): boolean {
    const store = this.store;
    switch (r.kind) {
      case K.SITE:
        this.siteMap.set(r.obj, store.addSite(this.text(r.a), r.b, this.text(r.endRaw)));
        return true;
      case K.OBJECT:
        store.objects.set(r.obj, { id: r.obj, type: this.text(r.a), label: this.text(r.b), pid: this.pid, site: this.site(r.site) });
        store.version++;
        return true;
      case K.PROCESS_START:
        this.startProcess(r);
        return false;
      case K.PROCESS_NAME: {
        const p = this.ensureProcess(r.ts);
        p.name = this.text(r.a) || p.name;
        p.internal = p.internal || (r.b & 2) !== 0;
        store.version++;
        return true;
      }
      case K.PROCESS_PARENT: {
        const p = this.ensureProcess(r.ts);
        p.parentPid = r.a;
        store.version++;
        return true;
      }
      case K.PROCESS_EXIT: {
        const p = this.ensureProcess(r.ts);
        p.exited = true;
        p.endTs = r.ts;
        if (r.b === 1) p.exitCode = r.a;
        return false;
      }
      case K.THREAD_START:
        this.startThread(r);
        return false;
      case K.THREAD_NAME: {
        const t = this.threadOf.get(r.obj);
        if (t) t.name = this.text(r.a) || t.name;
        store.version++;
        return true;
      }
      case K.THREAD_EXCEPTION: {
        const t = this.threadOf.get(r.obj);
        if (t) t.exception = this.text(r.a);
        return false;
      }
      default:
        if (!REMOTE_KINDS.includes(r.kind)) return false;
        this.remote ??= new RemoteProcesses(this.store, (id) => this.text(id));
        return this.remote.take(r);
    }
  }

  /** An asyncio task running a library's coroutine (events.py ASYNC_CREATE end: its package's name). */
  private libraryTask(id: number, site: number, packageBlob: number): void {
    const library = this.text(packageBlob);
    if (!library || this.store.objects.has(id)) return;
    this.store.objects.set(id, { id, type: 'asyncio.Task', label: '', pid: this.pid, site, library });
    this.store.version++;
  }

  private site(local: number): number {
    return local === 0 ? -1 : this.siteMap.get(local) ?? -1;
  }

  private startProcess(r: RawRecord): void {
    let meta: ProcessMeta = {};
    try {
      meta = JSON.parse(this.text(r.b)) as ProcessMeta;
    } catch {
      meta = {};
    }
    const argv = Array.isArray(meta.argv) ? meta.argv.map(String) : [];
    const p = this.ensureProcess(r.ts);
    const image = imageStart.get(p);
    if (image !== undefined && image > r.ts) {
      // The image before an exec, read after the one that replaced it: only its start counts.
      p.startTs = Math.min(p.startTs, r.ts);
      this.store.version++;
      return;
    }
    imageStart.set(p, r.ts);
    p.ppid = r.a;
    if (!p.parentPid) p.parentPid = r.a;
    p.argv = argv;
    p.name = processName(argv) || p.name;
    p.python = meta.python ?? '';
    p.startTs = image === undefined ? r.ts : Math.min(p.startTs, r.ts);
    if (typeof meta.wallNs === 'number' && typeof meta.monoNs === 'number') p.wallNsAtStart = meta.wallNs;
    this.store.version++;
  }

  private startThread(r: RawRecord): void {
    const p = this.ensureProcess(r.ts);
    const main = p.mainThread >= 0 ? this.store.threads[p.mainThread] : undefined;
    if (this.images.count > 1 && main && r.obj === this.pid && main.nativeId === this.pid && !this.threadOf.has(r.ident)) {
      // The main thread of another image of this process (before or after an exec): the same lane.
      if (r.ts >= main.startTs) {
        main.name = this.text(r.a) || main.name;
        main.endTs = r.end === 0 ? NaN : r.end;
      }
      lastStart.set(main, Math.max(lastStart.get(main) ?? main.startTs, r.ts));
      main.startTs = Math.min(main.startTs, r.ts);
      this.threadOf.set(r.ident, main);
      this.store.version++;
      return;
    }
    const t = this.store.addThread({
      process: p.index, pid: this.pid, ident: r.ident, nativeId: r.obj, name: this.text(r.a) || `Thread ${r.ident}`,
      startTs: r.ts, endTs: r.end === 0 ? NaN : r.end, daemon: (r.b & 1) !== 0, internal: (r.b & 2) !== 0,
      ...libraryOf(r.b, (id) => this.text(id)), main: p.mainThread < 0, exception: null,
    });
    if (p.mainThread < 0) p.mainThread = t.index;
    this.threadOf.set(r.ident, t);
  }

  /**
   * A record the collector makes about this process (TRACER_STATUS,
   * EVENTS_LOST: what its event file says is missing), on its main thread.
   */
  note(kind: number, ts: number, a: number, b: number): void {
    const p = this.ensureProcess(ts);
    const at = ts > 0 ? ts : p.endTs;
    const thread = p.mainThread >= 0 ? p.mainThread : this.threadFor(0, at).index;
    this.store.push(kind, at, at, thread, this.pid, -1, a, b);
  }

  /** Applies re-read span ends; returns how many spans closed. */
  applyRefresh(updates: { offset: number; end: number; a: number; b: number }[]): number {
    let closed = 0;
    for (const u of updates) {
      if (u.end === 0) continue;
      const row = this.openSpans.get(u.offset);
      if (row === undefined) continue;
      const store = this.store;
      const kind = store.kind[row];
      const info = kindInfo(kind);
      store.update(row, u.end, info?.a === 'num' ? u.a : store.a[row], info?.b === 'num' ? u.b : store.b[row]);
      if (kind === K.THREAD_START) threadEnded(store.threads[store.thread[row]], store.ts[row], u.end);
      if (this.process && u.end > this.process.endTs) this.process.endTs = u.end;
      this.openSpans.delete(u.offset);
      closed++;
    }
    return closed;
  }
}

/** events.py THREAD_START b: flag 4 marks a library's thread, b >> 3 the blob of its package's name. */
function libraryOf(b: number, text: (blob: number) => string): { library?: string } {
  if ((b & 4) === 0) return {};
  return { library: text(Math.floor(b / 8)) || 'library' };
}

/** Start time of the latest image (exec) of a process whose PROCESS_START was read. */
const imageStart = new WeakMap<ProcessInfo, number>();
/** Start of the latest THREAD_START record of a thread that continues across an exec. */
const lastStart = new WeakMap<ThreadInfo, number>();

/** A thread's lane ends with its latest image's THREAD_START span (an exec ends the earlier one). */
function threadEnded(t: ThreadInfo, startTs: number, end: number): void {
  if (startTs >= (lastStart.get(t) ?? startTs)) t.endTs = end;
}

/** A short name for a process from its command line: the script, or the -c / -m payload. */
export function processName(argv: string[]): string {
  if (argv.length === 0) return '';
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-c') return 'python -c';
    if (a === '-m' && args[i + 1]) return args[i + 1];
    if (!a.startsWith('-')) return a.split(/[\\/]/).pop() ?? a;
  }
  return argv[0].split(/[\\/]/).pop() ?? argv[0];
}
