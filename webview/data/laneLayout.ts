/**
 * Turns the indexed data and the view options (collapsed processes, helpers
 * shown or not, search) into rows from top to bottom: each process as a
 * header nested under the process that started it, then its threads, each
 * followed by the asyncio tasks its loop ran.
 */
import type { ProcessInfo, ThreadInfo } from '../../src/core/traceModel';
import type { LaneSpans } from './laneIndex';
import { laneHasMatch, type SearchQuery } from './search';
import type { TaskLane, TimelineData } from './timelineData';

export type RowKind = 'process' | 'thread' | 'task';

export interface LaneRow {
  key: string;
  kind: RowKind;
  label: string;
  /** Second part of the label: pid, tid, exit code. */
  detail: string;
  y: number;
  height: number;
  indent: number;
  process: number;
  /** Thread index (the loop thread for a task lane); −1 on a process header. */
  thread: number;
  spans?: LaneSpans;
  task?: TaskLane;
  /** Standard-library helpers (forkserver, feeder threads): drawn dimmed. */
  dim: boolean;
  /** Only part of its events match the search: dim the others. */
  filterEvents: boolean;
  collapsed: boolean;
  failed: boolean;
}

export interface LayoutOptions {
  collapsed: ReadonlySet<number>;
  showHelpers: boolean;
  query: SearchQuery;
}

export interface Layout {
  rows: LaneRow[];
  height: number;
  /** Per thread: the row its arrows attach to (its lane, else the nearest visible process header), −1 if none. */
  anchor: Int32Array;
  /** Per process: its header row, −1 if not shown. */
  processRow: Int32Array;
}

export const ROW_H = 16;
export const LANE_PAD = 3;
export const PROCESS_H = 22;

export function laneHeight(depth: number): number {
  return depth * ROW_H + 2 * LANE_PAD;
}

export function exitText(p: ProcessInfo): string {
  if (p.signal === 15) return 'terminated (SIGTERM)';
  if (p.signal) return `killed by signal ${p.signal}`;
  if (p.exitCode !== null && p.exitCode !== undefined) return `exit ${p.exitCode}`;
  return p.exited ? 'exited' : 'running';
}

function threadLabel(t: ThreadInfo): string {
  return t.nativeId > 0 ? `tid ${t.nativeId}` : `ident ${t.ident}`;
}

export function layoutLanes(data: TimelineData, opts: LayoutOptions): Layout {
  const store = data.store;
  const rows: LaneRow[] = [];
  const q = opts.query;
  const anchor = new Int32Array(store.threads.length).fill(-1);
  const processRow = new Int32Array(store.processes.length).fill(-1);
  const byPid = new Map<number, ProcessInfo>();
  for (const p of store.processes) byPid.set(p.pid, p);
  const children = new Map<number, ProcessInfo[]>();
  const roots: ProcessInfo[] = [];
  for (const p of store.processes) {
    const parent = p.parentPid && p.parentPid !== p.pid ? byPid.get(p.parentPid) : undefined;
    if (parent) {
      if (!children.has(parent.pid)) children.set(parent.pid, []);
      children.get(parent.pid)!.push(p);
    } else roots.push(p);
  }
  const order = (a: ProcessInfo, b: ProcessInfo): number => a.startTs - b.startTs || a.pid - b.pid;
  roots.sort(order);
  for (const list of children.values()) list.sort(order);
  const threadsOf: ThreadInfo[][] = store.processes.map(() => []);
  for (const t of store.threads) threadsOf[t.process]?.push(t);

  let y = 0;
  const add = (row: Omit<LaneRow, 'y'>): number => {
    rows.push({ ...row, y });
    y += row.height;
    return rows.length - 1;
  };

  // Whether a process (or anything below it) has something the search keeps.
  const wanted = new Map<number, boolean>();
  const keeps = (p: ProcessInfo, seen: Set<number>): boolean => {
    if (!q.active) return true;
    const known = wanted.get(p.index);
    if (known !== undefined) return known;
    if (seen.has(p.pid)) return false;
    seen.add(p.pid);
    let keep = q.processes.has(p.index);
    for (const t of threadsOf[p.index]) {
      const lane = data.threadLanes[t.index];
      if (q.threads.has(t.index) || (lane && laneHasMatch(q, lane.spans))) keep = true;
      if (lane) for (const task of lane.tasks) if (laneHasMatch(q, task.spans)) keep = true;
    }
    for (const c of children.get(p.pid) ?? []) if (keeps(c, seen)) keep = true;
    wanted.set(p.index, keep);
    return keep;
  };

  const visit = (p: ProcessInfo, indent: number, seen: Set<number>): void => {
    if (seen.has(p.pid)) return; // a parentPid cycle would loop forever
    seen.add(p.pid);
    if (!keeps(p, new Set())) return;
    const collapsed = opts.collapsed.has(p.index);
    const helper = p.internal;
    const header = add({
      key: `p:${p.pid}`, kind: 'process', label: p.name, detail: `pid ${p.pid} · ${exitText(p)}`, height: PROCESS_H,
      indent, process: p.index, thread: -1, dim: helper, filterEvents: false, collapsed,
      // SIGTERM is how a Pool ends its workers: not a failure by itself.
      failed: (p.exitCode !== null && p.exitCode !== 0 && !p.signal) || (!!p.signal && p.signal !== 15),
    });
    processRow[p.index] = header;
    const procMatches = !q.active || q.processes.has(p.index);
    for (const t of threadsOf[p.index]) {
      anchor[t.index] = header;
      if (collapsed) continue;
      if (t.internal && !opts.showHelpers) continue;
      const lane = data.threadLanes[t.index];
      const nameMatch = procMatches || q.threads.has(t.index);
      const eventMatch = !nameMatch && !!lane && laneHasMatch(q, lane.spans);
      const taskMatch = !!lane && lane.tasks.some((task) => laneHasMatch(q, task.spans));
      if (!nameMatch && !eventMatch && !taskMatch) continue;
      anchor[t.index] = add({
        key: `t:${p.pid}:${t.ident}:${t.index}`, kind: 'thread', label: t.name, detail: threadLabel(t),
        height: laneHeight(lane?.spans.depth ?? 1), indent: indent + 1, process: p.index, thread: t.index, spans: lane?.spans,
        dim: t.internal || helper, filterEvents: !nameMatch, collapsed: false, failed: !!t.exception,
      });
      for (const task of lane?.tasks ?? []) {
        if (!nameMatch && !laneHasMatch(q, task.spans)) continue;
        const one = task.tasks.length === 1 ? task.tasks[0] : undefined;
        add({
          key: `a:${p.pid}:${task.key}`, kind: 'task', label: one ? one.name : `asyncio tasks (${task.tasks.length})`,
          detail: one ? one.coroutine : `${task.tasks[0]?.name ?? ''} …`, height: laneHeight(task.spans.depth),
          indent: indent + 2, process: p.index, thread: t.index, spans: task.spans, task, dim: helper,
          filterEvents: !nameMatch, collapsed: false, failed: false,
        });
      }
    }
    if (collapsed) {
      // Everything below a collapsed process attaches to its header.
      const mark = (c: ProcessInfo): void => {
        if (seen.has(c.pid)) return;
        seen.add(c.pid);
        for (const t of threadsOf[c.index]) anchor[t.index] = header;
        for (const g of children.get(c.pid) ?? []) mark(g);
      };
      for (const c of children.get(p.pid) ?? []) mark(c);
      return;
    }
    for (const c of children.get(p.pid) ?? []) visit(c, indent + 1, seen);
  };
  const seen = new Set<number>();
  for (const r of roots) visit(r, 0, seen);
  // Processes only reachable through a cycle of parent pids still get shown.
  for (const p of store.processes) if (!seen.has(p.pid)) visit(p, 0, seen);
  return { rows, height: y, anchor, processRow };
}

/** The row at a y (in lane coordinates), by binary search; −1 if none. */
export function rowAt(layout: Layout, y: number): number {
  const rows = layout.rows;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = rows[mid];
    if (y < r.y) hi = mid - 1;
    else if (y >= r.y + r.height) lo = mid + 1;
    else return mid;
  }
  return -1;
}
