/**
 * Every message between the extension host (or the HTML report) and the
 * timeline webview. Imported by both sides; nothing else crosses.
 *
 * Events travel as columns of plain numbers (JSON-safe: an open span's end
 * is -1, never NaN). Tables are resent whole where they change in place
 * (processes, threads) and appended where they only grow (strings, sites,
 * objects).
 */
import type { Finding } from './core/analysis/finding';
import type { ObjectInfo, ProcessInfo, SiteInfo, ThreadInfo } from './core/traceModel';

export const PROTOCOL_VERSION = 1;

export interface EventColumns {
  kind: number[];
  ts: number[];
  /** -1 while a span is open. */
  end: number[];
  thread: number[];
  obj: number[];
  site: number[];
  a: number[];
  b: number[];
}

/** A thread as sent: endTs is -1 while it runs. */
export type WireThread = ThreadInfo;

export interface RunMeta {
  exitCode: number | null;
  signal: string | null;
  argv: string[];
  startedAt: string;
  python: string;
}

export type RunStatus = 'running' | 'exited' | 'stopped' | 'failed' | 'saved';

export interface RunState {
  status: RunStatus;
  /** Script (or trace file) shown in the title. */
  title: string;
  exitCode?: number | null;
  message?: string;
  /** Run-clock time of "now" for a live run, so the view can extend open spans. */
  nowTs?: number;
}

export interface TablesUpdate {
  processes: ProcessInfo[];
  threads: WireThread[];
  /** Strings from index `stringsFrom` on (the table only grows). */
  stringsFrom: number;
  strings: string[];
  sitesFrom: number;
  sites: SiteInfo[];
  /** Objects first seen since the last message. */
  objects: ObjectInfo[];
  meta: RunMeta;
}

/**
 * How fast a live run's trace grows and how much of it the view holds (sent
 * with snapshots and appends while a run is live).
 */
export interface LiveLoad {
  /** Events recorded per second, over about the last second. */
  eventsPerSecond: number;
  /** Rows of the trace on the host (the view holds fewer when thinned). */
  traceRows: number;
  /** Rows of the trace the view was not sent, so far (summed up in the `omitted` of the messages). */
  omittedRows: number;
}

/**
 * Rows left out of a thinned live view, summed per thread and stretch of
 * time (columns, one entry per stretch): to draw as density where the rows
 * themselves are not there.
 */
export interface OmittedRows {
  /** Store thread index. */
  thread: number[];
  /** First ts and last end of the rows left out (ns, run clock). */
  from: number[];
  to: number[];
  count: number[];
  /** Time their spans covered, summed (ns; points add 0). */
  busy: number[];
}

/**
 * A thinned live view (a run whose trace grows faster than a view can take,
 * see core/liveBatches.ts): the view's rows are a subset of the trace's,
 * numbered in the order they were sent. `fromRow`, `updates.row` and the
 * rows in findings are always the view's numbers (the host translates).
 * What was left out comes as `omitted`; the trace on disk has every row, and
 * once the run is over the view gets a full snapshot.
 */
export interface SnapshotMessage {
  type: 'snapshot';
  protocol: number;
  tables: TablesUpdate;
  columns: EventColumns;
  state: RunState;
  /** What the analysis found in these rows (absent: none computed yet). */
  findings?: Finding[];
  /** While a run is live. */
  load?: LiveLoad;
  /** Rows of the trace left out of this snapshot (a thinned view). */
  omitted?: OmittedRows;
}

export interface AppendMessage {
  type: 'append';
  /** Row index of columns[0]; equals the receiver's current length. */
  fromRow: number;
  columns: EventColumns;
  /** Spans closed (or changed) since the last message. */
  updates: { row: number[]; end: number[]; a: number[]; b: number[] };
  tables: TablesUpdate;
  state: RunState;
  /** While a run is live. */
  load?: LiveLoad;
  /** Rows of the trace left out of this append (a thinned view). */
  omitted?: OmittedRows;
}

export interface StateMessage {
  type: 'state';
  state: RunState;
}

/**
 * The findings now (they replace the previous list). Sent after the append
 * that holds the rows they point at; `rows` is the trace length they were
 * computed on.
 */
export interface FindingsMessage {
  type: 'findings';
  findings: Finding[];
  rows: number;
}

/** Show this finding (the Problems panel's "Show in timeline"). */
export interface SelectFindingMessage {
  type: 'selectFinding';
  id: string;
}

export type HostToWebview = SnapshotMessage | AppendMessage | StateMessage | FindingsMessage | SelectFindingMessage;

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'openSource'; file: string; line: number }
  | { type: 'stop' }
  | { type: 'exportPerfetto' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
