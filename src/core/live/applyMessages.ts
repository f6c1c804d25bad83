/**
 * The receiving side of liveBatches: rebuilds a TraceStore from snapshot and
 * append messages (in the webview, the HTML report and tests).
 */
import type { AppendMessage, EventColumns, SnapshotMessage, TablesUpdate } from '../../protocol';
import { TraceStore } from '../trace/traceStore';

const fromWire = (end: number): number => (end === -1 ? NaN : end);

function applyTables(store: TraceStore, t: TablesUpdate): void {
  for (let i = Math.max(0, store.strings.length - t.stringsFrom); i < t.strings.length; i++) store.intern(t.strings[i]);
  for (let i = Math.max(0, store.sites.length - t.sitesFrom); i < t.sites.length; i++) {
    const s = t.sites[i];
    store.addSite(s.file, s.line, s.func);
  }
  for (const o of t.objects) store.objects.set(o.id, o);
  for (const p of t.processes) {
    if (p.index < store.processes.length) Object.assign(store.processes[p.index], p);
    else store.addProcess(p);
  }
  for (const th of t.threads) {
    const wire = { ...th, endTs: fromWire(th.endTs) };
    if (th.index < store.threads.length) Object.assign(store.threads[th.index], wire);
    else store.addThread(wire);
  }
  store.meta = t.meta;
}

function appendColumns(store: TraceStore, c: EventColumns): void {
  for (let i = 0; i < c.kind.length; i++) {
    store.push(c.kind[i], c.ts[i], fromWire(c.end[i]), c.thread[i], c.obj[i], c.site[i], c.a[i], c.b[i]);
  }
}

export function storeFromSnapshot(msg: SnapshotMessage): TraceStore {
  const store = new TraceStore();
  applyTables(store, msg.tables);
  // Whole columns at once (a million rows pushed one by one took a third of a second).
  const c = msg.columns;
  const n = c.kind.length;
  const even = [c.ts, c.end, c.thread, c.obj, c.site, c.a, c.b].every((col) => col.length === n);
  if (!even) appendColumns(store, c);
  else if (n > 0) {
    store.kind = Uint16Array.from(c.kind);
    store.ts = Float64Array.from(c.ts);
    store.end = Float64Array.from(c.end);
    for (let i = 0; i < n; i++) if (store.end[i] === -1) store.end[i] = NaN;
    store.thread = Int32Array.from(c.thread);
    store.obj = Float64Array.from(c.obj);
    store.site = Int32Array.from(c.site);
    store.a = Float64Array.from(c.a);
    store.b = Float64Array.from(c.b);
    store.length = n;
    store.version++;
  }
  return store;
}

/** Applies an append; returns false when it does not follow on (ask for a snapshot). */
export function applyAppend(store: TraceStore, msg: AppendMessage): boolean {
  if (msg.fromRow !== store.length) return false;
  applyTables(store, msg.tables);
  appendColumns(store, msg.columns);
  const u = msg.updates;
  for (let i = 0; i < u.row.length; i++) store.update(u.row[i], fromWire(u.end[i]), u.a[i], u.b[i]);
  return true;
}
