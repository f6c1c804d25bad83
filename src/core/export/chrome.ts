/**
 * Chrome Trace Event Format: the JSON that Perfetto, chrome://tracing and the
 * DevTools Performance panel open.
 *
 * - Processes and threads are named tracks ("M" events).
 * - Spans are complete ("X") events; points are "X" events of zero length, so that
 *   flow arrows can bind to them.
 * - The slices of one track must nest: Perfetto drops an "X" that starts inside
 *   another and ends after it. Spans that overlap that way (hand-over-hand lock
 *   holds) go on an extra track of the same thread, "<thread> (overlap N)".
 * - Flows are "s"/"f" pairs placed exactly at the start of the slice they bind to,
 *   on its track and with its category: Perfetto binds a flow event to the topmost
 *   slice open on its track, DevTools to the slice with the same ts/pid/tid/cat.
 *   Both draw the arrow from the end of the source slice to the start of the target.
 * - CPU samples are counters ("C"): per process, and per core on an extra
 *   "CPU cores" process.
 * - ts and dur are µs since the first moment of the trace, in whole ns.
 *
 * Linear in the number of events, and streamed: `writeChromeTrace` writes the
 * events as they are made (one thread's slices at a time), so a trace of
 * millions of events never becomes one array or one string in memory.
 */
import { computeFlows, type Flow } from '../analysis/flows';
import { K as KINDS, kindInfo as lookUpKind } from '../trace/recordKinds';
import { AtomicFile } from '../trace/safeFile';
import type { TraceStore } from '../trace/traceStore';

export interface ChromeEvent {
  name: string;
  ph: string;
  ts: number;
  pid: number;
  tid?: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: string;
  s?: string;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ns' | 'ms';
  metadata: Record<string, unknown>;
}

/** A zero-length slice made for a flow to bind to (a process's end, a wait's return). */
interface Point {
  thread: number;
  start: number;
  name: string;
  cat: string;
  /** An existing zero-length slice it coincides with (same thread, time and category), else −1. */
  row: number;
  tid: number;
}

/** A readable slice name: the kind, and the object or function it is about. */
function sliceName(store: TraceStore, i: number): string {
  const info = kindInfo(store.kind[i]);
  const kind = store.kind[i];
  const base = info?.event ?? String(kind);
  if (kind === K.TASK_RUN) return store.strings[store.a[i]] || 'task';
  if (kind === K.THREAD_START) return 'thread';
  if (kind === K.LOCK_HOLD) return `hold ${objectLabel(store, store.obj[i])}`;
  if (kind === K.LOCK_WAIT) return `wait ${objectLabel(store, store.obj[i])}`;
  const obj = store.objects.get(store.obj[i]);
  return obj ? `${base} ${objectLabel(store, obj.id)}` : base;
}

function objectLabel(store: TraceStore, id: number): string {
  const o = store.objects.get(id);
  return o ? o.label || `${o.type}#${id % 16777216}` : `#${id}`;
}


// Module-level copies: an imported binding can be a getter on every access (tsx, CommonJS).
const K = KINDS;
const kindInfo = lookUpKind;

/** Per kind code: its category (the event name's first part) and whether it is a span; looked up per row. */
const CATEGORY: string[] = [];
const SPAN: boolean[] = [];
const categoryOf = (kind: number): string => (CATEGORY[kind] ??= (kindInfo(kind)?.event ?? String(kind)).split('.')[0]);
const isSpan = (kind: number): boolean => (SPAN[kind] ??= kindInfo(kind)?.span ?? false);

/**
 * Makes the events of the export, in file order, calling `emit` for each;
 * returns the trace's metadata. Memory beyond the store: a few bytes per
 * event, one thread's slice order, the flows.
 */
export function chromeEvents(store: TraceStore, emit: (e: ChromeEvent) => void, given?: { flows?: Flow[] }): Record<string, unknown> {
  const n = store.length;
  let origin = Infinity;
  for (let i = 0; i < n; i++) origin = Math.min(origin, store.ts[i]);
  for (const p of store.processes) if (Number.isFinite(p.startTs)) origin = Math.min(origin, p.startTs);
  if (!Number.isFinite(origin)) origin = 0;
  const ns = (x: number): number => Math.round(x - origin);
  const us = (v: number): number => v / 1000;
  const last = store.lastTs();
  const realTid = (t: number): number => store.threads[t].nativeId || 1_000_000 + t;
  let nextTid = 1;
  for (let t = 0; t < store.threads.length; t++) nextTid = Math.max(nextTid, realTid(t) + 1);
  let machinePid = 1;
  for (const p of store.processes) machinePid = Math.max(machinePid, p.pid + 1);

  // Call sites are written relative to the folder all of them share (kept in the metadata).
  let siteRoot = store.sites[0]?.file ?? '';
  for (const { file } of store.sites) {
    let k = 0;
    while (k < siteRoot.length && siteRoot[k] === file[k]) k++;
    siteRoot = siteRoot.slice(0, k);
  }
  siteRoot = siteRoot.replace(/[^/\\]*$/, '');

  // Which rows are slices, and their times (whole ns since the origin).
  const isSlice = new Uint8Array(n);
  let hasCoreSamples = false;
  for (let i = 0; i < n; i++) {
    const kind = store.kind[i];
    const info = kindInfo(kind);
    if (!info || info.meta) continue;
    if (kind === K.SAMPLE_CORE || kind === K.SAMPLE_CPU) {
      if (kind === K.SAMPLE_CORE && Number.isFinite(store.a[i])) hasCoreSamples = true;
      continue;
    }
    if (store.threads[store.thread[i]]) isSlice[i] = 1;
  }
  const openEnd = (t: number): number => {
    const th = store.threads[t];
    return Number.isFinite(th.endTs) ? th.endTs : store.processes[th.process]?.endTs ?? last;
  };
  const rowStart = (i: number): number => ns(store.ts[i]);
  const rowEnd = (i: number): number => {
    const e = store.end[i];
    const end = !isSpan(store.kind[i]) ? store.ts[i] : Number.isNaN(e) ? openEnd(store.thread[i]) : e;
    return Math.max(rowStart(i), ns(end));
  };

  // Flow ends (a flow's source and target slices share a category, as DevTools binds by it).
  // Perfetto reads events in time order, needs a flow's start before its end,
  // and draws each arrow from the end of the source slice to the start of the target.
  // A flow from a moment that is no event (a process's end) starts at a point slice, and
  // one whose target began before the source ended (a get that blocked until the put,
  // a join) ends at a point slice where the hand-off landed ("queue.get jobs returns").
  // An end is a row (≥ 0) or a point (−1 − its index).
  const points: Point[] = [];
  const pointByKey = new Map<string, number>();
  const pointStarts = new Set<number>();
  const point = (thread: number, start: number, name: string, cat: string): number => {
    const key = `${thread}:${start}:${cat}`;
    let k = pointByKey.get(key);
    if (k === undefined) {
      k = points.length;
      points.push({ thread, start, name, cat, row: -1, tid: 0 });
      pointByKey.set(key, k);
      pointStarts.add(start);
    }
    return -1 - k;
  };
  const flows: Flow[] = given?.flows ?? computeFlows(store);
  // The two ends of each flow kept (flows.length at most), in typed arrays: millions of flows are usual.
  const flowFrom = new Float64Array(flows.length);
  const flowTo = new Float64Array(flows.length);
  const flowOf = new Int32Array(flows.length);
  let flowCount = 0;
  for (let k = 0; k < flows.length; k++) {
    const f = flows[k];
    const b = f.to >= 0 && isSlice[f.to] ? f.to : -1;
    if (b < 0) continue;
    let a = f.from >= 0 && isSlice[f.from] ? f.from : NaN;
    if (Number.isNaN(a) && store.threads[f.fromThread]) a = point(f.fromThread, ns(f.fromTs), 'process end', categoryOf(store.kind[b]));
    if (Number.isNaN(a)) continue;
    const aEnd = a >= 0 ? rowEnd(a) : points[-1 - a].start;
    const to = ns(f.toTs);
    const bStart = rowStart(b);
    const target = bStart < aEnd && to > bStart ? point(f.toThread, to, `${sliceName(store, b)} returns`, categoryOf(store.kind[b])) : b;
    flowFrom[flowCount] = a;
    flowTo[flowCount] = target;
    flowOf[flowCount++] = k;
  }
  // A point that falls on an existing zero-length slice (same thread, time, category) is that slice.
  if (points.length) {
    for (let i = 0; i < n; i++) {
      if (!isSlice[i]) continue;
      const start = rowStart(i);
      if (!pointStarts.has(start) || rowEnd(i) !== start) continue;
      const k = pointByKey.get(`${store.thread[i]}:${start}:${categoryOf(store.kind[i])}`);
      if (k !== undefined) {
        points[k].row = i;
      }
    }
  }

  for (const p of store.processes) {
    emit({ name: 'process_name', ph: 'M', ts: 0, pid: p.pid, args: { name: p.name } });
    emit({ name: 'process_sort_index', ph: 'M', ts: 0, pid: p.pid, args: { sort_index: p.index } });
    const exit = p.exitCode === null ? 'unknown' : String(p.exitCode);
    emit({ name: 'process_labels', ph: 'M', ts: 0, pid: p.pid, args: { labels: `exit ${exit}` } });
  }
  if (hasCoreSamples) {
    emit({ name: 'process_name', ph: 'M', ts: 0, pid: machinePid, args: { name: 'CPU cores' } });
    emit({ name: 'process_sort_index', ph: 'M', ts: 0, pid: machinePid, args: { sort_index: store.processes.length } });
  }
  const threadMeta = (t: number, tid: number, name: string): void => {
    const th = store.threads[t];
    emit({ name: 'thread_name', ph: 'M', ts: 0, pid: th.pid, tid, args: { name } });
    emit({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: th.pid, tid, args: { sort_index: th.main ? 0 : t + 1 } });
  };
  store.threads.forEach((th, t) => threadMeta(t, realTid(t), th.name));

  // Slices, one thread at a time: rows by thread (a counting sort), plus that thread's points.
  const threadCount = store.threads.length;
  const offsets = new Int32Array(threadCount + 1);
  for (let i = 0; i < n; i++) if (isSlice[i]) offsets[store.thread[i] + 1]++;
  for (let t = 0; t < threadCount; t++) offsets[t + 1] += offsets[t];
  const byThread = new Int32Array(offsets[threadCount]);
  const fill = offsets.slice(0, threadCount);
  for (let i = 0; i < n; i++) if (isSlice[i]) byThread[fill[store.thread[i]]++] = i;
  const pointsOf = new Map<number, number[]>();
  points.forEach((p, k) => {
    if (p.row >= 0) return;
    if (!pointsOf.has(p.thread)) pointsOf.set(p.thread, []);
    pointsOf.get(p.thread)!.push(k);
  });
  // The track each row's slice went to (4 bytes per event), for the flows that bind to it.
  const rowTid = new Int32Array(n);
  for (let t = 0; t < threadCount; t++) {
    const own = pointsOf.get(t) ?? [];
    const first = offsets[t];
    const rows = offsets[t + 1] - first;
    const count = rows + own.length;
    if (count === 0) continue;
    // Items 0…rows−1 are the thread's rows in row order, then its points (so ties keep the order
    // slices were made in). Times are computed when needed: no per-event arrays.
    const start = (x: number): number => (x < rows ? rowStart(byThread[first + x]) : points[own[x - rows]].start);
    const end = (x: number): number => (x < rows ? rowEnd(byThread[first + x]) : points[own[x - rows]].start);
    const before = (x: number, y: number): number => start(x) - start(y) || end(y) - end(x) || x - y;
    // In start order, longest first (Perfetto's nesting rules). Rows usually arrive in that order
    // already: then only the points are sorted and merged in.
    let rowsSorted = true;
    for (let j = 1; j < rows && rowsSorted; j++) if (before(j - 1, j) > 0) rowsSorted = false;
    let order: Iterable<number>;
    if (rowsSorted) {
      order = mergeSorted(rows, own.map((_, k) => rows + k).sort(before), before);
    } else {
      const all = new Int32Array(count);
      for (let j = 0; j < count; j++) all[j] = j;
      order = all.sort(before);
    }
    // Tracks: a slice that does not nest in the open slices of a track tries the thread's next track.
    const stacks: number[][] = [];
    const laneTids: number[] = [];
    for (const x of order) {
      const s = start(x);
      const e = end(x);
      let lane = 0;
      for (; ; lane++) {
        const stack = (stacks[lane] ??= []);
        while (stack.length) {
          const top = stack[stack.length - 1];
          const topEnd = end(top);
          const ended = topEnd < s || (topEnd === s && !(start(top) === topEnd && s === e));
          if (!ended) break;
          stack.pop();
        }
        if (!stack.length || e <= end(stack[stack.length - 1])) {
          stack.push(x);
          break;
        }
      }
      let tid = realTid(t);
      if (lane > 0) {
        if (laneTids[lane] === undefined) {
          laneTids[lane] = nextTid++;
          threadMeta(t, laneTids[lane], `${store.threads[t].name} (overlap ${lane})`);
        }
        tid = laneTids[lane];
      }
      const r = x < rows ? byThread[first + x] : -1 - own[x - rows];
      const pid = store.threads[t].pid;
      if (r < 0) {
        const p = points[-1 - r];
        p.tid = tid;
        emit({ name: p.name, cat: p.cat, ph: 'X', ts: us(s), dur: 0, pid, tid });
        continue;
      }
      rowTid[r] = tid;
      const ev: ChromeEvent = { name: sliceName(store, r), cat: categoryOf(store.kind[r]), ph: 'X', ts: us(s), dur: us(e - s), pid, tid };
      const args = sliceArgs(store, r, ev.name, siteRoot);
      if (args) ev.args = args;
      emit(ev);
    }
  }

  // CPU samples as counters: per core on the "CPU cores" process, per process CPU % and RSS.
  for (let i = 0; i < n; i++) {
    const kind = store.kind[i];
    if (kind !== K.SAMPLE_CORE && kind !== K.SAMPLE_CPU) continue;
    const v = store.a[i];
    if (!Number.isFinite(v)) continue;
    const ts = us(ns(store.ts[i]));
    if (kind === K.SAMPLE_CORE) emit({ name: `CPU ${store.obj[i]}`, ph: 'C', ts, pid: machinePid, args: { '%': v } });
    else if (store.thread[i] < 0 && store.processByPid(store.obj[i])) {
      emit({ name: 'CPU', ph: 'C', ts, pid: store.obj[i], args: { '%': v } });
      if (Number.isFinite(store.b[i])) emit({ name: 'RSS', ph: 'C', ts, pid: store.obj[i], args: { MB: Math.round(store.b[i] / 1e5) / 10 } });
    }
  }

  let id = 1;
  const endOf = (r: number): { ts: number; thread: number; tid: number; cat: string } => {
    if (r >= 0) return { ts: us(rowStart(r)), thread: store.thread[r], tid: rowTid[r], cat: categoryOf(store.kind[r]) };
    const p = points[-1 - r];
    if (p.row >= 0) return endOf(p.row);
    return { ts: us(p.start), thread: p.thread, tid: p.tid, cat: p.cat };
  };
  for (let j = 0; j < flowCount; j++) {
    const from = endOf(flowFrom[j]);
    const to = endOf(flowTo[j]);
    const kind = flows[flowOf[j]].kind;
    const flowId = id++;
    emit({ name: kind, cat: from.cat, ph: 's', id: flowId, ts: from.ts, pid: store.threads[from.thread].pid, tid: from.tid });
    emit({ name: kind, cat: from.cat, ph: 'f', bp: 'e', id: flowId, ts: to.ts, pid: store.threads[to.thread].pid, tid: to.tid });
  }
  return { 'concurrency-trace': store.meta, clockOriginNs: origin, siteRoot };
}

/** 0…rows−1 (in order) merged with `others` (sorted), by `before`. */
function* mergeSorted(rows: number, others: number[], before: (x: number, y: number) => number): Generator<number> {
  let k = 0;
  for (let x = 0; x < rows; x++) {
    while (k < others.length && before(others[k], x) < 0) yield others[k++];
    yield x;
  }
  while (k < others.length) yield others[k++];
}

/** Only what the name and category do not say already: this is most of the file's size. */
function sliceArgs(store: TraceStore, i: number, name: string, siteRoot: string): Record<string, unknown> | undefined {
  const kind = store.kind[i];
  const args: Record<string, unknown> = {};
  const site = store.sites[store.site[i]];
  if (site) args.site = `${site.file.slice(siteRoot.length)}:${site.line}`;
  const object = store.obj[i] ? objectLabel(store, store.obj[i]) : '';
  if (object && !name.endsWith(object)) args.object = object;
  if (kind === K.IO_WRITE) args.text = store.strings[store.a[i]];
  if (kind === K.TASK_RUN && store.b[i]) args.args = store.strings[store.b[i]];
  for (const _ in args) return args;
  return undefined;
}

/** The whole export in memory (small traces; the extension's Export command). */
export function exportChrome(store: TraceStore, given?: { flows?: Flow[] }): ChromeTrace {
  const traceEvents: ChromeEvent[] = [];
  const metadata = chromeEvents(store, (e) => traceEvents.push(e), given);
  return { traceEvents, displayTimeUnit: 'ns', metadata };
}

/**
 * Writes the export to `file` as it is made (about 1 MB at a time), through
 * a private temp file renamed at the end (safeFile.ts): the same JSON as
 * JSON.stringify(exportChrome(store)), without holding it.
 */
export function writeChromeTrace(file: string, store: TraceStore): void {
  const out = new AtomicFile(file);
  try {
    let parts: string[] = [];
    let size = 0;
    let first = true;
    const flush = (): void => {
      out.write(parts.join(''));
      parts = [];
      size = 0;
    };
    parts.push('{"traceEvents":[');
    const metadata = chromeEvents(store, (e) => {
      const json = JSON.stringify(e);
      parts.push(first ? json : `,${json}`);
      first = false;
      size += json.length;
      if (size > 1 << 20) flush();
    });
    parts.push(`],"displayTimeUnit":"ns","metadata":${JSON.stringify(metadata)}}`);
    flush();
  } catch (err) {
    out.abort();
    throw err;
  }
  out.commit();
}
