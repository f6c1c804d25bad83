/**
 * Chrome Trace Event Format (the JSON Perfetto and chrome://tracing open):
 * processes and threads as named tracks, spans as complete ("X") events,
 * points as zero-length slices so flow arrows can bind to them, flows as
 * "s"/"f" pairs, CPU samples as counters.
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

const us = (ns: number): number => ns / 1000;

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
  const events: ChromeEvent[] = [];
  const tidOf = (t: number): number => {
    const th = store.threads[t];
    return th && th.nativeId ? th.nativeId : 1_000_000 + t;
  };
  const pidOf = (t: number): number => store.threads[t]?.pid ?? 0;
  for (const p of store.processes) {
    events.push({ name: 'process_name', ph: 'M', ts: 0, pid: p.pid, args: { name: `${p.name} (${p.pid})` } });
    events.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid: p.pid, args: { sort_index: p.index } });
    const exit = p.exitCode === null ? 'unknown' : String(p.exitCode);
    events.push({ name: 'process_labels', ph: 'M', ts: 0, pid: p.pid, args: { labels: `exit ${exit}` } });
  }
  for (const t of store.threads) {
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: t.pid, tid: tidOf(t.index), args: { name: t.name } });
    events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: t.pid, tid: tidOf(t.index), args: { sort_index: t.main ? 0 : t.index + 1 } });
  }
  const last = store.lastTs();
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const info = kindInfo(kind);
    if (!info) continue;
    if (kind === K.SAMPLE_CORE) {
      events.push({ name: `CPU core ${store.obj[i]}`, ph: 'C', ts: us(store.ts[i]), pid: 0, args: { utilization: store.a[i] } });
      continue;
    }
    if (kind === K.SAMPLE_CPU) {
      if (store.thread[i] < 0) {
        events.push({ name: 'CPU %', ph: 'C', ts: us(store.ts[i]), pid: store.obj[i], args: { cpu: store.a[i] } });
        events.push({ name: 'memory (MB)', ph: 'C', ts: us(store.ts[i]), pid: store.obj[i], args: { rss: Math.round(store.b[i] / 1e5) / 10 } });
      }
      continue;
    }
    const t = store.thread[i];
    const site = store.sites[store.site[i]];
    const args: Record<string, unknown> = { kind: info.event };
    if (site) args.site = `${site.file}:${site.line}`;
    if (store.obj[i]) args.object = objectLabel(store, store.obj[i]);
    if (kind === K.IO_WRITE) args.text = store.strings[store.a[i]];
    if (kind === K.TASK_RUN && store.b[i]) args.args = store.strings[store.b[i]];
    const end = info.span ? (Number.isNaN(store.end[i]) ? last : store.end[i]) : store.ts[i];
    events.push({
      name: sliceName(store, i), cat: info.event.split('.')[0], ph: 'X', ts: us(store.ts[i]),
      dur: Math.max(0, us(end - store.ts[i])), pid: pidOf(t), tid: tidOf(t), args,
    });
  }
  let id = 1;
  for (const f of computeFlows(store)) {
    const flowId = id++;
    // A hair inside the source slice, so the arrow binds to it even at its very end.
    events.push({ name: f.kind, cat: `flow.${f.kind}`, ph: 's', id: flowId, ts: us(f.fromTs) - (f.from < 0 ? 0.001 : 0), pid: pidOf(f.fromThread), tid: tidOf(f.fromThread), bp: 'e' });
    events.push({ name: f.kind, cat: `flow.${f.kind}`, ph: 'f', id: flowId, ts: us(f.toTs), pid: pidOf(f.toThread), tid: tidOf(f.toThread), bp: 'e' });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    metadata: { 'concurrency-trace': store.meta },
  };
}
