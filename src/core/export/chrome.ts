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
 */
import { computeFlows } from '../analysis/flows';
import { K, kindInfo } from '../recordKinds';
import type { TraceStore } from '../traceStore';

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

/** One slice to be: start/end in whole ns since the origin; tid is set when tracks are assigned. */
interface Slice {
  thread: number;
  start: number;
  end: number;
  name: string;
  cat: string;
  args?: Record<string, unknown>;
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

export function exportChrome(store: TraceStore): ChromeTrace {
  let origin = Infinity;
  for (let i = 0; i < store.length; i++) origin = Math.min(origin, store.ts[i]);
  for (const p of store.processes) if (Number.isFinite(p.startTs)) origin = Math.min(origin, p.startTs);
  if (!Number.isFinite(origin)) origin = 0;
  const ns = (x: number): number => Math.round(x - origin);
  const us = (n: number): number => n / 1000;
  const last = store.lastTs();
  const realTid = (t: number): number => store.threads[t].nativeId || 1_000_000 + t;
  let nextTid = 1;
  for (let t = 0; t < store.threads.length; t++) nextTid = Math.max(nextTid, realTid(t) + 1);
  let machinePid = 1;
  for (const p of store.processes) machinePid = Math.max(machinePid, p.pid + 1);

  // Call sites are written relative to the folder all of them share (kept in the metadata).
  let siteRoot = store.sites[0]?.file ?? '';
  for (const { file } of store.sites) {
    let n = 0;
    while (n < siteRoot.length && siteRoot[n] === file[n]) n++;
    siteRoot = siteRoot.slice(0, n);
  }
  siteRoot = siteRoot.replace(/[^/\\]*$/, '');
  const events: ChromeEvent[] = [];
  const counters: ChromeEvent[] = [];
  const slices: Slice[] = [];
  const sliceOfRow = new Int32Array(store.length).fill(-1);
  const openEnd = (t: number): number => {
    const th = store.threads[t];
    return Number.isFinite(th.endTs) ? th.endTs : store.processes[th.process]?.endTs ?? last;
  };
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const info = kindInfo(kind);
    if (!info || info.meta) continue;
    const v = store.a[i];
    if (kind === K.SAMPLE_CORE || kind === K.SAMPLE_CPU) {
      const ts = us(ns(store.ts[i]));
      if (!Number.isFinite(v)) continue;
      if (kind === K.SAMPLE_CORE) counters.push({ name: `CPU ${store.obj[i]}`, ph: 'C', ts, pid: machinePid, args: { '%': v } });
      else if (store.thread[i] < 0 && store.processByPid(store.obj[i])) {
        counters.push({ name: 'CPU', ph: 'C', ts, pid: store.obj[i], args: { '%': v } });
        if (Number.isFinite(store.b[i])) counters.push({ name: 'RSS', ph: 'C', ts, pid: store.obj[i], args: { MB: Math.round(store.b[i] / 1e5) / 10 } });
      }
      continue;
    }
    const t = store.thread[i];
    if (!store.threads[t]) continue;
    // Only what the name and category do not say already: this is most of the file's size.
    const name = sliceName(store, i);
    const site = store.sites[store.site[i]];
    const args: Record<string, unknown> = {};
    if (site) args.site = `${site.file.slice(siteRoot.length)}:${site.line}`;
    const object = store.obj[i] ? objectLabel(store, store.obj[i]) : '';
    if (object && !name.endsWith(object)) args.object = object;
    if (kind === K.IO_WRITE) args.text = store.strings[v];
    if (kind === K.TASK_RUN && store.b[i]) args.args = store.strings[store.b[i]];
    const e = store.end[i];
    const end = !info.span ? store.ts[i] : Number.isNaN(e) ? openEnd(t) : e;
    const start = ns(store.ts[i]);
    sliceOfRow[i] = slices.length;
    slices.push({ thread: t, start, end: Math.max(start, ns(end)), name, cat: info.event.split('.')[0], args, tid: 0 });
  }

  // Flow ends (a flow's source and target slices share a category, as DevTools binds by it).
  // Perfetto reads events in time order, needs a flow's start before its end,
  // and draws each arrow from the end of the source slice to the start of the target.
  // A flow from a moment that is no event (a process's end) starts at a point slice, and
  // one whose target began before the source ended (a get that blocked until the put,
  // a join) ends at a point slice where the hand-off landed ("queue.get jobs returns").
  const flows = computeFlows(store);
  const points = new Map<string, number>();
  const point = (thread: number, start: number, name: string, cat: string): number => {
    if (points.size === 0) slices.forEach((s, j) => { if (s.start === s.end) points.set(`${s.thread}:${s.start}:${s.cat}`, j); });
    const key = `${thread}:${start}:${cat}`;
    if (!points.has(key)) {
      points.set(key, slices.length);
      slices.push({ thread, start, end: start, name, cat, tid: 0 });
    }
    return points.get(key)!;
  };
  const ends = flows.map((f): [number, number] => {
    let a = sliceOfRow[f.from] ?? -1;
    let b = sliceOfRow[f.to] ?? -1;
    if (b < 0) return [-1, -1];
    if (a < 0 && store.threads[f.fromThread]) a = point(f.fromThread, ns(f.fromTs), 'process end', slices[b].cat);
    if (a < 0) return [-1, -1];
    const to = ns(f.toTs);
    if (slices[b].start < slices[a].end && to > slices[b].start) b = point(f.toThread, to, `${slices[b].name} returns`, slices[b].cat);
    return [a, b];
  });

  // Tracks: each thread's slices in start order, longest first; a slice that does not
  // nest in the open slices of a track tries the thread's next track (Perfetto's rules).
  const order = slices.map((_, j) => j).sort((x, y) => {
    const a = slices[x];
    const b = slices[y];
    return a.thread - b.thread || a.start - b.start || b.end - a.end || x - y;
  });
  const laneTids = new Map<string, number>();
  let stacks: Slice[][] = [];
  let thread = -1;
  for (const j of order) {
    const s = slices[j];
    if (s.thread !== thread) {
      thread = s.thread;
      stacks = [];
    }
    let lane = 0;
    for (; ; lane++) {
      const stack = (stacks[lane] ??= []);
      for (let top = stack.at(-1); top; top = stack.at(-1)) {
        const ended = top.end < s.start || (top.end === s.start && !(top.start === top.end && s.start === s.end));
        if (!ended) break;
        stack.pop();
      }
      const top = stack.at(-1);
      if (!top || s.end <= top.end) {
        stack.push(s);
        break;
      }
    }
    if (lane === 0) s.tid = realTid(s.thread);
    else {
      const key = `${s.thread}:${lane}`;
      if (!laneTids.has(key)) laneTids.set(key, nextTid++);
      s.tid = laneTids.get(key)!;
    }
  }

  for (const p of store.processes) {
    events.push({ name: 'process_name', ph: 'M', ts: 0, pid: p.pid, args: { name: p.name } });
    events.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid: p.pid, args: { sort_index: p.index } });
    const exit = p.exitCode === null ? 'unknown' : String(p.exitCode);
    events.push({ name: 'process_labels', ph: 'M', ts: 0, pid: p.pid, args: { labels: `exit ${exit}` } });
  }
  if (counters.some((c) => c.pid === machinePid)) {
    events.push({ name: 'process_name', ph: 'M', ts: 0, pid: machinePid, args: { name: 'CPU cores' } });
    events.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid: machinePid, args: { sort_index: store.processes.length } });
  }
  const threadMeta = (t: number, tid: number, name: string): void => {
    const th = store.threads[t];
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: th.pid, tid, args: { name } });
    events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: th.pid, tid, args: { sort_index: th.main ? 0 : t + 1 } });
  };
  store.threads.forEach((th, t) => threadMeta(t, realTid(t), th.name));
  for (const [key, tid] of laneTids) {
    const [t, lane] = key.split(':').map(Number);
    threadMeta(t, tid, `${store.threads[t].name} (overlap ${lane})`);
  }

  for (const j of order) {
    const s = slices[j];
    const e: ChromeEvent = { name: s.name, cat: s.cat, ph: 'X', ts: us(s.start), dur: us(s.end - s.start), pid: store.threads[s.thread].pid, tid: s.tid };
    if (s.args && Object.keys(s.args).length) e.args = s.args;
    events.push(e);
  }
  for (const c of counters) events.push(c);
  let id = 1;
  flows.forEach((f, k) => {
    const [a, b] = ends[k].map((j) => slices[j]);
    if (!a || !b) return;
    const flowId = id++;
    events.push({ name: f.kind, cat: a.cat, ph: 's', id: flowId, ts: us(a.start), pid: store.threads[a.thread].pid, tid: a.tid });
    events.push({ name: f.kind, cat: a.cat, ph: 'f', bp: 'e', id: flowId, ts: us(b.start), pid: store.threads[b.thread].pid, tid: b.tid });
  });
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    metadata: { 'concurrency-trace': store.meta, clockOriginNs: origin, siteRoot },
  };
}
