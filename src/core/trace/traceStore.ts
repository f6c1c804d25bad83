/**
 * The trace in memory: events in typed-array columns (about 52 bytes each)
 * plus the process / thread / site / object / string tables they point into.
 */
import type { ObjectInfo, ProcessInfo, SiteInfo, ThreadInfo, TraceEvent } from './traceModel';

const INITIAL = 4096;
/** From this many events on, columns grow in place (see grow). */
const RESIZABLE_FROM = 1 << 20;
/** A resizable buffer may reserve at most 4 GiB: 2^29 events of 8 bytes. */
const MAX_CAPACITY = 2 ** 29;

type Column = Float64Array | Int32Array | Uint16Array;
type ResizableBuffer = ArrayBuffer & { resizable?: boolean; maxByteLength?: number; resize?: (n: number) => void };

/**
 * `col` with room for `cap` elements: its buffer resized in place when it is
 * resizable (the array tracks the buffer's length), else copied once into a
 * resizable buffer that reserves room for MAX_CAPACITY elements (address
 * space only; memory is used as it grows). Without resizable buffers (older
 * runtimes), a plain copy.
 */
function inPlace<T extends Column>(col: T, cap: number, make: { new (len: number): T; new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const buf = col.buffer as ResizableBuffer;
  const bytes = cap * make.BYTES_PER_ELEMENT;
  if (buf.resizable && buf.resize && col.byteOffset === 0 && (buf.maxByteLength ?? 0) >= bytes) {
    buf.resize(bytes);
    return col;
  }
  let next: T;
  try {
    const ResizableArrayBuffer = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    next = new make(new ResizableArrayBuffer(bytes, { maxByteLength: MAX_CAPACITY * make.BYTES_PER_ELEMENT }));
  } catch {
    next = new make(cap);
  }
  next.set(col);
  return next;
}

export class TraceStore {
  kind: Uint16Array = new Uint16Array(INITIAL);
  ts: Float64Array = new Float64Array(INITIAL);
  end: Float64Array = new Float64Array(INITIAL);
  thread: Int32Array = new Int32Array(INITIAL);
  obj: Float64Array = new Float64Array(INITIAL);
  site: Int32Array = new Int32Array(INITIAL);
  a: Float64Array = new Float64Array(INITIAL);
  b: Float64Array = new Float64Array(INITIAL);
  length = 0;

  readonly processes: ProcessInfo[] = [];
  readonly threads: ThreadInfo[] = [];
  readonly sites: SiteInfo[] = [];
  readonly strings: string[] = [''];
  readonly objects = new Map<number, ObjectInfo>();
  /** Run metadata: exit code of the program, its command, when it ran. */
  meta: { exitCode: number | null; signal: string | null; argv: string[]; startedAt: string; python: string } = {
    exitCode: null, signal: null, argv: [], startedAt: '', python: '',
  };
  /** Bumped on every change, so live views can tell what is new. */
  version = 0;
  /** Rows whose end (or a/b) changed after they were pushed, in order: what a live view must resend. */
  readonly updatedRows: number[] = [];
  /** Whether update() records rows in updatedRows (off when no live view reads them: 8 bytes per span saved). */
  trackUpdates = true;

  private readonly stringIndex = new Map<string, number>([['', 0]]);
  private readonly siteIndex = new Map<string, number>();
  private readonly pidIndex = new Map<number, number>();

  intern(text: string): number {
    let i = this.stringIndex.get(text);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(text);
      this.stringIndex.set(text, i);
    }
    return i;
  }

  addSite(file: string, line: number, func: string): number {
    const key = `${file}\0${line}\0${func}`;
    let i = this.siteIndex.get(key);
    if (i === undefined) {
      i = this.sites.length;
      this.sites.push({ file, line, func });
      this.siteIndex.set(key, i);
    }
    return i;
  }

  processByPid(pid: number): ProcessInfo | undefined {
    const i = this.pidIndex.get(pid);
    return i === undefined ? undefined : this.processes[i];
  }

  addProcess(p: Omit<ProcessInfo, 'index'>): ProcessInfo {
    const info: ProcessInfo = { ...p, index: this.processes.length };
    this.processes.push(info);
    this.pidIndex.set(info.pid, info.index);
    this.version++;
    return info;
  }

  addThread(t: Omit<ThreadInfo, 'index'>): ThreadInfo {
    const info: ThreadInfo = { ...t, index: this.threads.length };
    this.threads.push(info);
    this.version++;
    return info;
  }

  private grow(): void {
    const n = this.kind.length;
    if (n < RESIZABLE_FROM) {
      const cap = n * 2;
      const g = <T extends Float64Array | Int32Array | Uint16Array>(old: T, make: new (len: number) => T): T => {
        const next = new make(cap);
        next.set(old);
        return next;
      };
      this.kind = g(this.kind, Uint16Array);
      this.ts = g(this.ts, Float64Array);
      this.end = g(this.end, Float64Array);
      this.thread = g(this.thread, Int32Array);
      this.obj = g(this.obj, Float64Array);
      this.site = g(this.site, Int32Array);
      this.a = g(this.a, Float64Array);
      this.b = g(this.b, Float64Array);
      return;
    }
    // Large: columns live in resizable buffers that grow in place, a little at a time (no copy, no
    // doubling), so a trace of millions of events takes about 52 bytes per event, not up to 3 × that.
    const cap = Math.min(MAX_CAPACITY, n + Math.max(1 << 20, Math.ceil(n / 16)));
    if (cap <= n) throw new RangeError(`a trace holds at most ${MAX_CAPACITY} events`);
    this.kind = inPlace(this.kind, cap, Uint16Array);
    this.ts = inPlace(this.ts, cap, Float64Array);
    this.end = inPlace(this.end, cap, Float64Array);
    this.thread = inPlace(this.thread, cap, Int32Array);
    this.obj = inPlace(this.obj, cap, Float64Array);
    this.site = inPlace(this.site, cap, Int32Array);
    this.a = inPlace(this.a, cap, Float64Array);
    this.b = inPlace(this.b, cap, Float64Array);
  }

  /** Appends an event; `end` is NaN for an open span and `ts` for a point. */
  push(kind: number, ts: number, end: number, thread: number, obj: number, site: number, a: number, b: number): number {
    if (this.length === this.kind.length) this.grow();
    const i = this.length++;
    this.kind[i] = kind;
    this.ts[i] = ts;
    this.end[i] = end;
    this.thread[i] = thread;
    this.obj[i] = obj;
    this.site[i] = site;
    this.a[i] = a;
    this.b[i] = b;
    this.version++;
    return i;
  }

  /** Closes (or amends) a span that was pushed open. */
  update(row: number, end: number, a: number, b: number): void {
    this.end[row] = end;
    this.a[row] = a;
    this.b[row] = b;
    if (this.trackUpdates) this.updatedRows.push(row);
    this.version++;
  }

  event(i: number): TraceEvent {
    return {
      row: i, kind: this.kind[i], ts: this.ts[i], end: this.end[i], thread: this.thread[i],
      obj: this.obj[i], site: this.site[i], a: this.a[i], b: this.b[i],
    };
  }

  /** Rows of the given kinds, in row order. */
  rowsOf(...kinds: number[]): number[] {
    const want = new Set(kinds);
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) if (want.has(this.kind[i])) out.push(i);
    return out;
  }

  /** Bytes held by the event columns (for the memory-per-event figure). */
  columnBytes(): number {
    return [this.kind, this.ts, this.end, this.thread, this.obj, this.site, this.a, this.b]
      .reduce((n, c) => n + c.byteLength, 0);
  }

  /** Last timestamp seen anywhere in the trace. */
  lastTs(): number {
    let t = 0;
    for (let i = 0; i < this.length; i++) {
      const e = this.end[i];
      t = Math.max(t, this.ts[i], Number.isNaN(e) ? 0 : e);
    }
    for (const p of this.processes) t = Math.max(t, p.endTs);
    return t;
  }

  /** Returns the columns trimmed to length, for saving. */
  columns(): { kind: Uint16Array; ts: Float64Array; end: Float64Array; thread: Int32Array; obj: Float64Array; site: Int32Array; a: Float64Array; b: Float64Array } {
    const n = this.length;
    return {
      kind: this.kind.subarray(0, n), ts: this.ts.subarray(0, n), end: this.end.subarray(0, n),
      thread: this.thread.subarray(0, n), obj: this.obj.subarray(0, n), site: this.site.subarray(0, n),
      a: this.a.subarray(0, n), b: this.b.subarray(0, n),
    };
  }
}
