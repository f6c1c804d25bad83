/**
 * Turns a growing TraceStore into webview messages: one snapshot, then
 * small appends (new rows, closed spans, grown tables). A sender that
 * falls behind (panel hidden) calls snapshot() again instead of queueing.
 *
 * A live run whose trace grows faster than a view can take (more than
 * `maxRows` new rows for one message) gets a thinned view (liveDecimation.ts):
 * the message carries a share of the new rows and a summary of the rest. The
 * view's rows are then numbered in the order they were sent, and every row
 * number sent (fromRow, closed spans, findings) is translated to the view's.
 * Once the run is over, a thinned view gets a full snapshot: the whole trace.
 */
import type { AppendMessage, EventColumns, LiveLoad, OmittedRows, RunState, SnapshotMessage, TablesUpdate } from '../protocol';
import { PROTOCOL_VERSION } from '../protocol';
import type { Finding } from './analysis/finding';
import { decimate } from './liveDecimation';
import type { TraceStore } from './traceStore';

export interface LiveBatchesOptions {
  /** New rows one message may carry while a run is live; more are thinned to this. Default 5000. */
  maxRows?: number;
  /** Rows a snapshot of a live run may carry; more are thinned to this. Default 200 000. */
  maxSnapshotRows?: number;
  /** ms clock for the event rate (tests give their own). */
  now?: () => number;
}

/** How far back the event rate looks (ms). */
const RATE_WINDOW_MS = 1000;

export class LiveBatches {
  /** Trace rows looked at (sent or left out). */
  private rowsSent = 0;
  private updatesSent = 0;
  private stringsSent = 0;
  private sitesSent = 0;
  private readonly objectsSent = new Set<number>();
  /** store.version when the last message was made: tables change in place too (names, exits). */
  private versionSent = -1;
  private readonly maxRows: number;
  private readonly maxSnapshotRows: number;
  private readonly now: () => number;
  /** Rows in the view (fewer than rowsSent once thinned). */
  private viewRows = 0;
  /** Trace rows below this are view rows of the same number; from it on, `viewOf` says (−1: never thinned). */
  private thinnedFrom = -1;
  private readonly viewOf = new ViewRows();
  private omittedRows = 0;
  /** Rows left out that must reach the view (findings name them). */
  private readonly pinned = new Set<number>();
  /** (time, trace rows) of recent messages, for the rate. */
  private readonly history: [number, number][] = [];

  constructor(private readonly store: TraceStore, options: LiveBatchesOptions = {}) {
    this.maxRows = Math.max(1, options.maxRows ?? 5000);
    this.maxSnapshotRows = Math.max(1, options.maxSnapshotRows ?? 200_000);
    this.now = options.now ?? Date.now;
  }

  /**
   * Whether the view holds a share of the rows (row numbers are translated);
   * once the run is over, such a view is sent a snapshot, not an append.
   */
  get thinned(): boolean {
    return this.thinnedFrom >= 0;
  }

  /**
   * Everything so far (thinned while a run is live and the trace is large,
   * keeping the rows `findings` name); resets what the next append() starts from.
   */
  snapshot(state: RunState, findings: readonly Finding[] = []): SnapshotMessage {
    const store = this.store;
    this.pinned.clear();
    this.rowsSent = 0;
    this.stringsSent = 0;
    this.sitesSent = 0;
    this.objectsSent.clear();
    this.viewRows = 0;
    this.thinnedFrom = -1;
    this.viewOf.clear();
    this.omittedRows = 0;
    this.pin(findings); // the rows the findings sent with it name
    const n = store.length;
    const live = state.status === 'running';
    const { columns, omitted } = this.take(0, n, live ? this.maxSnapshotRows : Infinity);
    this.updatesSent = store.updatedRows.length;
    this.versionSent = store.version;
    const message: SnapshotMessage = { type: 'snapshot', protocol: PROTOCOL_VERSION, tables: this.tables(), columns, state };
    if (live) message.load = this.load();
    if (omitted) message.omitted = omitted;
    return message;
  }

  /**
   * What changed since the last message; undefined when nothing did. (A
   * thinned view whose run is over wants a snapshot instead: see `thinned`.)
   */
  append(state: RunState): AppendMessage | undefined {
    const store = this.store;
    const live = state.status === 'running';
    const fromRow = this.viewRows;
    const hostFrom = this.rowsSent;
    const pendingUpdates = store.updatedRows.length - this.updatesSent;
    const grew = store.length > hostFrom || store.strings.length > this.stringsSent || store.sites.length > this.sitesSent
      || store.objects.size > this.objectsSent.size || this.pinned.size > 0;
    if (!grew && pendingUpdates === 0 && store.version === this.versionSent && !live) return undefined;
    this.versionSent = store.version;
    const { columns, omitted } = this.take(hostFrom, store.length, live ? this.maxRows : Infinity);
    const updates: AppendMessage['updates'] = { row: [], end: [], a: [], b: [] };
    for (let i = this.updatesSent; i < store.updatedRows.length; i++) {
      const row = store.updatedRows[i];
      if (row >= hostFrom) continue; // sent whole (or left out) in this message
      const view = this.viewRow(row);
      if (view < 0 || view >= fromRow) continue; // left out, or sent just now with its end
      updates.row.push(view);
      updates.end.push(wireEnd(store.end[row]));
      updates.a.push(store.a[row]);
      updates.b.push(store.b[row]);
    }
    this.updatesSent = store.updatedRows.length;
    const message: AppendMessage = { type: 'append', fromRow, columns, updates, tables: this.tables(), state };
    if (live) message.load = this.load();
    if (omitted) message.omitted = omitted;
    return message;
  }

  /**
   * Rows of these findings the view does not hold go with the next message
   * (a thinned view left them out): call before append(), then post the
   * findings through viewFindings().
   */
  pin(list: readonly Finding[]): void {
    for (const f of list) for (const r of findingRows(f)) if (r < this.store.length && this.viewRow(r) < 0) this.pinned.add(r);
  }

  /** Findings with their rows in the view's numbers (rows the view does not hold are left out). */
  viewFindings(list: readonly Finding[]): Finding[] {
    if (!this.thinned) return [...list];
    return list.map((f) => this.translate(f));
  }

  /** The view's row count after the last message. */
  get viewLength(): number {
    return this.viewRows;
  }

  /** The view's number of a trace row sent to it (−1: not in the view). */
  viewRow(row: number): number {
    if (this.thinnedFrom < 0) return row < this.viewRows ? row : -1;
    if (row < this.thinnedFrom) return row;
    return this.viewOf.get(row - this.thinnedFrom);
  }

  private translate(f: Finding): Finding {
    const map = (r: number): number => this.viewRow(r);
    return {
      ...f,
      events: f.events.map(map).filter((r) => r >= 0),
      edges: f.edges.map((e) => ({ ...e, fromRow: map(e.fromRow), toRow: map(e.toRow) })).filter((e) => e.fromRow >= 0 && e.toRow >= 0),
      sites: f.sites.map((s) => {
        if (s.row === undefined) return s;
        const row = map(s.row);
        const { row: _drop, ...rest } = s;
        void _drop;
        return row >= 0 ? { ...rest, row } : rest;
      }),
    };
  }

  /**
   * Columns of the trace rows [from, to), thinned to `cap` when there are
   * more, plus pinned rows left out earlier; records what the view holds.
   */
  private take(from: number, to: number, cap: number): { columns: EventColumns; omitted?: OmittedRows } {
    const earlier = [...this.pinned].filter((r) => r < from).sort((x, y) => x - y);
    const pinned = new Set(this.pinned);
    this.pinned.clear();
    this.rowsSent = to;
    if (to - from <= cap && earlier.length === 0) {
      const columns = this.columns(from, to);
      if (this.thinnedFrom >= 0) for (let r = from; r < to; r++) this.viewOf.set(r - this.thinnedFrom, this.viewRows++);
      else this.viewRows = to;
      return { columns };
    }
    // Thinned from here on (pinned rows exist only once it is).
    if (this.thinnedFrom < 0) this.thinnedFrom = from;
    const picked = to - from <= cap ? { rows: range(from, to), omitted: undefined, omittedCount: 0 } : decimate(this.store, from, to, cap, pinned);
    const rows = earlier.concat(picked.rows);
    for (const r of rows) this.viewOf.set(r - this.thinnedFrom, this.viewRows++);
    this.omittedRows += picked.omittedCount - earlier.length;
    return { columns: this.gather(rows), omitted: picked.omitted };
  }

  private load(): LiveLoad {
    const t = this.now();
    const n = this.store.length;
    this.history.push([t, n]);
    while (this.history.length > 2 && t - this.history[1][0] >= RATE_WINDOW_MS) this.history.shift();
    const [t0, n0] = this.history[0];
    const eventsPerSecond = t > t0 ? Math.round(((n - n0) * 1000) / (t - t0)) : 0;
    return { eventsPerSecond, traceRows: n, omittedRows: this.omittedRows };
  }

  private columns(from: number, to: number): EventColumns {
    const s = this.store;
    const slice = (c: ArrayLike<number>): number[] => copyRange(c, from, to);
    return {
      kind: slice(s.kind), ts: slice(s.ts), end: wireEnds(slice(s.end)), thread: slice(s.thread),
      obj: slice(s.obj), site: slice(s.site), a: slice(s.a), b: slice(s.b),
    };
  }

  private gather(rows: readonly number[]): EventColumns {
    const s = this.store;
    const pick = (c: ArrayLike<number>): number[] => copyRows(c, rows);
    return {
      kind: pick(s.kind), ts: pick(s.ts), end: wireEnds(pick(s.end)), thread: pick(s.thread),
      obj: pick(s.obj), site: pick(s.site), a: pick(s.a), b: pick(s.b),
    };
  }

  private tables(): TablesUpdate {
    const s = this.store;
    const objects = [...s.objects.values()].filter((o) => !this.objectsSent.has(o.id));
    for (const o of objects) this.objectsSent.add(o.id);
    const update: TablesUpdate = {
      processes: s.processes,
      threads: s.threads.map((t) => ({ ...t, endTs: wireEnd(t.endTs) })),
      stringsFrom: this.stringsSent,
      strings: s.strings.slice(this.stringsSent),
      sitesFrom: this.sitesSent,
      sites: s.sites.slice(this.sitesSent),
      objects,
      meta: s.meta,
    };
    this.stringsSent = s.strings.length;
    this.sitesSent = s.sites.length;
    return update;
  }
}

/**
 * View row of each trace row from the thinning on (−1: left out): a growing Int32Array,
 * 4 bytes a trace row (a Map of millions of rows costs ~10× that and rehashes as it grows).
 */
class ViewRows {
  private rows = new Int32Array(0);

  get(offset: number): number {
    return offset >= 0 && offset < this.rows.length ? this.rows[offset] : -1;
  }

  set(offset: number, view: number): void {
    if (offset >= this.rows.length) {
      const grown = new Int32Array(Math.max(1024, offset + 1, this.rows.length * 2)).fill(-1);
      grown.set(this.rows);
      this.rows = grown;
    }
    this.rows[offset] = view;
  }

  clear(): void {
    this.rows = new Int32Array(0);
  }
}

const wireEnd = (end: number): number => (Number.isNaN(end) ? -1 : end);

/**
 * A column's rows [from, to) as a plain array (what postMessage carries). A loop: several
 * times faster than Array.prototype.slice.call or Array.from on a typed array (a 2 M-row
 * snapshot of a thinned run is built while the extension host waits).
 */
function copyRange(c: ArrayLike<number>, from: number, to: number): number[] {
  const out = new Array<number>(Math.max(0, to - from));
  for (let i = from; i < to; i++) out[i - from] = c[i];
  return out;
}

function copyRows(c: ArrayLike<number>, rows: readonly number[]): number[] {
  const out = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = c[rows[i]];
  return out;
}

/** An open span's end (NaN) as −1 on the wire, in place. */
function wireEnds(ends: number[]): number[] {
  for (let i = 0; i < ends.length; i++) if (Number.isNaN(ends[i])) ends[i] = -1;
  return ends;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Every trace row a finding names. */
function findingRows(f: Finding): number[] {
  const out = [...f.events];
  for (const e of f.edges) out.push(e.fromRow, e.toRow);
  for (const s of f.sites) if (s.row !== undefined) out.push(s.row);
  return out;
}
