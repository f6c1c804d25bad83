/**
 * Turns a growing TraceStore into webview messages: one snapshot, then
 * small appends (new rows, closed spans, grown tables). A sender that
 * falls behind (panel hidden) calls snapshot() again instead of queueing.
 */
import type { AppendMessage, EventColumns, RunState, SnapshotMessage, TablesUpdate } from '../protocol';
import { PROTOCOL_VERSION } from '../protocol';
import type { TraceStore } from './traceStore';

export class LiveBatches {
  private rowsSent = 0;
  private updatesSent = 0;
  private stringsSent = 0;
  private sitesSent = 0;
  private readonly objectsSent = new Set<number>();
  /** store.version when the last message was made: tables change in place too (names, exits). */
  private versionSent = -1;

  constructor(private readonly store: TraceStore) {}

  /** Everything so far; resets what the next append() starts from. */
  snapshot(state: RunState): SnapshotMessage {
    const store = this.store;
    this.rowsSent = 0;
    this.stringsSent = 0;
    this.sitesSent = 0;
    this.objectsSent.clear();
    const columns = this.columns(0, store.length);
    this.rowsSent = store.length;
    this.updatesSent = store.updatedRows.length;
    this.versionSent = store.version;
    return { type: 'snapshot', protocol: PROTOCOL_VERSION, tables: this.tables(), columns, state };
  }

  /** What changed since the last message; undefined when nothing did. */
  append(state: RunState): AppendMessage | undefined {
    const store = this.store;
    const fromRow = this.rowsSent;
    const pendingUpdates = store.updatedRows.length - this.updatesSent;
    const grew = store.length > fromRow || store.strings.length > this.stringsSent || store.sites.length > this.sitesSent
      || store.objects.size > this.objectsSent.size;
    if (!grew && pendingUpdates === 0 && store.version === this.versionSent && state.status !== 'running') return undefined;
    this.versionSent = store.version;
    const columns = this.columns(fromRow, store.length);
    this.rowsSent = store.length;
    const updates: AppendMessage['updates'] = { row: [], end: [], a: [], b: [] };
    for (let i = this.updatesSent; i < store.updatedRows.length; i++) {
      const row = store.updatedRows[i];
      if (row >= fromRow) continue; // sent whole in this message's columns
      updates.row.push(row);
      updates.end.push(wireEnd(store.end[row]));
      updates.a.push(store.a[row]);
      updates.b.push(store.b[row]);
    }
    this.updatesSent = store.updatedRows.length;
    return { type: 'append', fromRow, columns, updates, tables: this.tables(), state };
  }

  private columns(from: number, to: number): EventColumns {
    const s = this.store;
    const slice = (c: ArrayLike<number>): number[] => Array.prototype.slice.call(c, from, to) as number[];
    return {
      kind: slice(s.kind), ts: slice(s.ts), end: slice(s.end).map(wireEnd), thread: slice(s.thread),
      obj: slice(s.obj), site: slice(s.site), a: slice(s.a), b: slice(s.b),
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

const wireEnd = (end: number): number => (Number.isNaN(end) ? -1 : end);
