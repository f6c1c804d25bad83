/**
 * Turns the indexed data and the view options (collapsed processes, opened
 * helper groups, search) into rows from top to bottom: each process nested
 * under the process that started it, its own threads first ("my code"), then
 * one folded row for the libraries' machinery ("library: dask (4 threads, 120
 * tasks)": threads the runtime saw run a library's function and asyncio tasks
 * running a library's coroutine, on whichever thread), then one folded row for
 * its standard-library helper threads (queue feeders, pool handlers, a
 * Manager's server threads), the programs it started that are not traced, and
 * its child processes, helper processes (forkserver…) last and folded. A
 * process with one thread of its own is one row: the thread's lane, labelled
 * with the process.
 */
import type { ChildProgram } from '../../src/core/naming/index';
import type { ProcessInfo, ThreadInfo } from '../../src/core/trace/traceModel';
import type { LaneSpans } from './laneIndex';
import { laneHasMatch, type SearchQuery } from './search';
import type { TaskLane, TimelineData } from './timelineData';

export type RowKind = 'process' | 'thread' | 'task' | 'helpers' | 'program';

export interface LaneRow {
  key: string;
  kind: RowKind;
  label: string;
  /** Second part of the label: the own name, pid/tid, how it ended. */
  detail: string;
  y: number;
  height: number;
  indent: number;
  process: number;
  /** Thread index (the loop thread for a task lane); −1 on a process header or a group. */
  thread: number;
  spans?: LaneSpans;
  task?: TaskLane;
  /** Standard-library and library helpers: drawn dimmed. */
  dim: boolean;
  /** Only part of its events match the search: dim the others. */
  filterEvents: boolean;
  /** Has a twisty (a process with something under it, a helper group). */
  collapsible: boolean;
  collapsed: boolean;
  failed: boolean;
  /** A thread row that also stands for its process (the process's only thread of its own). */
  processRow: boolean;
  /** A helper group: the helper threads and helper processes it folds (a library group: and asyncio task lanes). */
  members?: { threads: number[]; processes: number[]; tasks?: TaskLane[] };
  /** A library group ("dask", "dask, tornado"): the libraries whose machinery it folds. */
  library?: string;
  /** An untraced program the process started (subprocess, os.fork). */
  program?: ChildProgram;
}

export interface LayoutOptions {
  collapsed: ReadonlySet<number>;
  /** Helper groups the user unfolded (by row key). */
  opened: ReadonlySet<string>;
  /** Unfold every helper group. */
  showHelpers: boolean;
  query: SearchQuery;
  /** The run is still going: a process without an exit is "running", not "still running at the end". */
  live?: boolean;
}

export interface Layout {
  rows: LaneRow[];
  height: number;
  /** Per thread: the row its arrows attach to (its lane, else its folded group or process), −1 if none. */
  anchor: Int32Array;
  /** Per process: the row that stands for it, −1 if not shown. */
  processRow: Int32Array;
  /** Asyncio task lanes not shown: the row their events attach to (the folded library group). */
  taskAnchor?: Map<TaskLane, number>;
  /**
   * Per thread: 1 if it is folded in a library group. Arrows between two such threads (the
   * library talking to itself) are hidden with the group; unfolding it shows them.
   */
  folded?: Uint8Array;
}

export const ROW_H = 16;
export const LANE_PAD = 3;
export const PROCESS_H = 22;
/** A process with several threads of its own: its header also charts cores used against threads wanting CPU. */
export const PROCESS_CHART_H = 36;
export const GROUP_H = 18;

export function laneHeight(depth: number): number {
  return depth * ROW_H + 2 * LANE_PAD;
}

/**
 * The row of a thread's lane that holds its reads and writes of shared memory: one of its own
 * under the spans, so the values read and written never sit on a span's words; −1 if none.
 */
export function sharedRowOf(lane: { spans: { depth: number }; shared: { n: number } } | undefined): number {
  return lane && lane.shared.n > 0 ? lane.spans.depth : -1;
}

function tidText(t: ThreadInfo): string {
  return t.nativeId > 0 ? `tid ${t.nativeId}` : `ident ${t.ident}`;
}

export function layoutLanes(data: TimelineData, opts: LayoutOptions): Layout {
  const store = data.store;
  const words = data.naming.words;
  const rows: LaneRow[] = [];
  const q = opts.query;
  const anchor = new Int32Array(store.threads.length).fill(-1);
  const processRow = new Int32Array(store.processes.length).fill(-1);
  const taskAnchor = new Map<TaskLane, number>();
  const folded = new Uint8Array(store.threads.length);
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
  // In the order the program started them (its start() call), else by when each began.
  const started = (p: ProcessInfo): number => {
    const r = data.naming.facts.spawnRow.get(p.pid) ?? data.naming.facts.childRow.get(p.pid);
    return r === undefined ? p.startTs : store.ts[r];
  };
  const order = (a: ProcessInfo, b: ProcessInfo): number => started(a) - started(b) || a.pid - b.pid;
  roots.sort(order);
  for (const list of children.values()) list.sort(order);
  const threadsOf: ThreadInfo[][] = store.processes.map(() => []);
  for (const t of store.threads) threadsOf[t.process]?.push(t);
  const programsOf = new Map<number, ChildProgram[]>();
  for (const c of data.naming.facts.childPrograms(store)) {
    const pid = store.threads[store.thread[c.row]]?.pid ?? 0;
    if (!programsOf.has(pid)) programsOf.set(pid, []);
    programsOf.get(pid)!.push(c);
  }

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

  /**
   * A thread's lane and its asyncio task lanes (the program's own; a library's too when `libraryTasks`);
   * returns false when the search drops it.
   */
  const threadRows = (p: ProcessInfo, t: ThreadInfo, indent: number, dim: boolean, asProcess: boolean, collapsed: boolean, hasBelow: boolean, libraryTasks = false): boolean => {
    const lane = data.threadLanes[t.index];
    const taskLanes = (lane?.tasks ?? []).filter((task) => libraryTasks || !task.library);
    const procMatches = !q.active || q.processes.has(p.index);
    const nameMatch = procMatches || q.threads.has(t.index);
    const eventMatch = !nameMatch && !!lane && laneHasMatch(q, lane.spans);
    const taskMatch = taskLanes.some((task) => laneHasMatch(q, task.spans));
    if (!nameMatch && !eventMatch && !taskMatch) return false;
    const tw = words.thread(t);
    let label = tw.label;
    let detail = `${tw.name ? `${tw.name} · ` : ''}${tidText(t)}`;
    let failed = !!t.exception;
    if (asProcess) {
      const pw = words.process(p, !opts.live);
      label = pw.label;
      detail = `${pw.name ? `${pw.name} · ` : ''}pid ${p.pid} · ${pw.ended}`;
      failed = failed || pw.failed;
    }
    const row = add({
      key: asProcess ? `p:${p.pid}` : `t:${p.pid}:${t.ident}:${t.index}`, kind: 'thread', label, detail,
      height: Math.max(laneHeight(sharedRowOf(lane) >= 0 ? (lane?.spans.depth ?? 0) + 1 : lane?.spans.depth ?? 1), asProcess ? PROCESS_H : 0), indent, process: p.index, thread: t.index,
      spans: lane?.spans, dim, filterEvents: !nameMatch, collapsible: asProcess && hasBelow, collapsed, failed, processRow: asProcess,
    });
    anchor[t.index] = row;
    if (asProcess) processRow[p.index] = row;
    for (const task of taskLanes) taskRow(p, t, task, indent + 1, dim || !!task.library, !nameMatch);
    return true;
  };

  /** One asyncio task lane (unless the search drops it). */
  const taskRow = (p: ProcessInfo, t: ThreadInfo, task: TaskLane, indent: number, dim: boolean, filterEvents: boolean): void => {
    if (filterEvents && !laneHasMatch(q, task.spans)) return;
    const one = task.tasks.length === 1 ? task.tasks[0] : undefined;
    add({
      key: `a:${p.pid}:${task.key}`, kind: 'task', label: one ? one.name : `asyncio tasks (${task.tasks.length})`,
      detail: `${one ? one.coroutine : `${task.tasks[0]?.name ?? ''} …`}${task.library ? ` · ${task.library}` : ''}`, height: laneHeight(task.spans.depth),
      indent, process: p.index, thread: t.index, spans: task.spans, task, dim,
      filterEvents, collapsible: false, collapsed: false, failed: false, processRow: false,
    });
  };

  /**
   * One folded row for the libraries' threads and asyncio tasks of a process ("library: dask (4 threads,
   * 120 tasks)"); unfolded (or while searching) their lanes follow: the library's threads with all their
   * task lanes, then the library's task lanes run by the program's own threads.
   */
  const libraryGroup = (p: ProcessInfo, libThreads: ThreadInfo[], ownThreads: ThreadInfo[], indent: number): void => {
    const lanesOn = (t: ThreadInfo, all: boolean): TaskLane[] => (data.threadLanes[t.index]?.tasks ?? []).filter((l) => all || !!l.library);
    const tasks: [ThreadInfo, TaskLane][] = [];
    for (const t of libThreads) for (const l of lanesOn(t, true)) tasks.push([t, l]);
    for (const t of ownThreads) for (const l of lanesOn(t, false)) tasks.push([t, l]);
    const libTaskLanes = tasks.filter(([, l]) => !!l.library);
    if (libThreads.length === 0 && libTaskLanes.length === 0) return;
    const procMatches = !q.active || q.processes.has(p.index);
    const laneMatches = (t: ThreadInfo): boolean => !!data.threadLanes[t.index] && laneHasMatch(q, data.threadLanes[t.index].spans);
    if (!procMatches && !libThreads.some((t) => q.threads.has(t.index) || laneMatches(t))
      && !tasks.some(([, l]) => laneHasMatch(q, l.spans))) return;
    const key = `l:${p.pid}`;
    const open = opts.showHelpers || opts.opened.has(key) || q.active;
    // The libraries that started threads first (dask, whose loop runs tornado's tasks too), then by tasks.
    const weight = new Map<string, [threads: number, tasks: number]>();
    const count = (lib: string, th: number, ta: number): void => {
      const w = weight.get(lib) ?? [0, 0];
      weight.set(lib, [w[0] + th, w[1] + ta]);
    };
    for (const t of libThreads) count(words.thread(t).library, 1, 0);
    let nTasks = 0;
    for (const [, l] of libTaskLanes) {
      nTasks += l.tasks.length;
      count(l.library, 0, l.tasks.length);
    }
    const names = [...weight.entries()].sort((a, b) => b[1][0] - a[1][0] || b[1][1] - a[1][1] || a[0].localeCompare(b[0])).map(([n]) => n);
    const counts = [libThreads.length ? `${libThreads.length} thread${libThreads.length === 1 ? '' : 's'}` : '', nTasks ? `${nTasks} task${nTasks === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
    const library = data.naming.fold(names, 3);
    const group = add({
      key, kind: 'helpers', label: `library: ${library} (${counts})`, detail: data.naming.fold(libThreads.map((t) => t.name), 3),
      height: GROUP_H, indent, process: p.index, thread: -1, dim: true, filterEvents: false, collapsible: true, collapsed: !open, failed: false,
      processRow: false, members: { threads: libThreads.map((t) => t.index), processes: [], tasks: libTaskLanes.map(([, l]) => l) }, library,
    });
    if (!open) {
      for (const t of libThreads) {
        anchor[t.index] = group;
        folded[t.index] = 1;
      }
      for (const [, l] of tasks) taskAnchor.set(l, group);
      return;
    }
    for (const t of libThreads) threadRows(p, t, indent + 1, true, false, false, false, true);
    for (const t of ownThreads) for (const l of lanesOn(t, false)) taskRow(p, t, l, indent + 1, true, !procMatches);
  };

  /** One folded row for helpers; unfolded, their rows follow. Returns the group row. */
  const helperGroup = (p: ProcessInfo, key: string, helpers: ThreadInfo[], procs: ProcessInfo[], indent: number, seen: Set<number>): void => {
    const open = opts.showHelpers || opts.opened.has(key) || q.active;
    const names = [...helpers.map((t) => words.thread(t).label), ...procs.map((c) => words.process(c).label)];
    const what = procs.length && !helpers.length ? 'helper process' : 'helper thread';
    const n = names.length;
    const group = add({
      key, kind: 'helpers', label: `${n} ${what}${n === 1 ? '' : what.endsWith('s') ? 'es' : 's'}`, detail: data.naming.fold(names, 3), height: GROUP_H,
      indent, process: p.index, thread: -1, dim: true, filterEvents: false, collapsible: true, collapsed: !open, failed: false,
      processRow: false, members: { threads: helpers.map((t) => t.index), processes: procs.map((c) => c.index) },
    });
    for (const t of helpers) anchor[t.index] = group;
    if (!open) {
      for (const c of procs) markUnder(c, group, seen);
      return;
    }
    for (const t of helpers) threadRows(p, t, indent + 1, true, false, false, false);
    for (const c of procs) visit(c, indent + 1, seen);
  };

  /** Everything of a process (and below it) that is not shown attaches to `row`. */
  const markUnder = (c: ProcessInfo, row: number, seen: Set<number>): void => {
    if (seen.has(c.pid)) return;
    seen.add(c.pid);
    processRow[c.index] = row;
    for (const t of threadsOf[c.index]) anchor[t.index] = row;
    for (const g of children.get(c.pid) ?? []) markUnder(g, row, seen);
  };

  const visit = (p: ProcessInfo, indent: number, seen: Set<number>): void => {
    if (seen.has(p.pid)) return; // a parentPid cycle would loop forever
    seen.add(p.pid);
    if (!keeps(p, new Set())) return;
    const collapsed = opts.collapsed.has(p.index);
    const pw = words.process(p, !opts.live);
    const helperProcess = pw.role === 'helper';
    const all = threadsOf[p.index];
    const own = all.filter((t) => !words.thread(t).helper);
    const libThreads = all.filter((t) => !!words.thread(t).library);
    const helpers = all.filter((t) => words.thread(t).helper && !words.thread(t).library);
    const hasLibraryTasks = own.some((t) => data.threadLanes[t.index]?.tasks.some((l) => !!l.library));
    const kids = (children.get(p.pid) ?? []).filter((c) => keeps(c, new Set()));
    const userKids = kids.filter((c) => words.role(c) !== 'helper');
    const helperKids = kids.filter((c) => words.role(c) === 'helper');
    const programs = programsOf.get(p.pid) ?? [];
    const hasBelow = helpers.length + libThreads.length + kids.length + programs.length > 0 || hasLibraryTasks;
    const single = own.length === 1 && !(data.threadLanes[own[0].index]?.tasks.some((l) => !l.library) ?? false);
    let header: number;
    if (single && threadRows(p, own[0], indent, helperProcess, true, collapsed, hasBelow)) {
      header = processRow[p.index];
    } else {
      header = add({
        key: `p:${p.pid}`, kind: 'process', label: pw.label, detail: `${pw.name ? `${pw.name} · ` : ''}pid ${p.pid} · ${pw.ended}`, height: own.length >= 2 ? PROCESS_CHART_H : PROCESS_H,
        indent, process: p.index, thread: -1, dim: helperProcess, filterEvents: false, collapsible: all.length + kids.length + programs.length > 0,
        collapsed, failed: pw.failed, processRow: false,
      });
      processRow[p.index] = header;
      if (!collapsed) for (const t of own) threadRows(p, t, indent + 1, helperProcess, false, false, false);
    }
    for (const t of all) if (anchor[t.index] < 0 || collapsed) anchor[t.index] = header;
    if (collapsed) {
      for (const c of kids) markUnder(c, header, seen);
      return;
    }
    libraryGroup(p, libThreads, own, indent + 1);
    if (helpers.length) helperGroup(p, `h:${p.pid}`, helpers, [], indent + 1, seen);
    for (const c of programs) {
      const w = data.naming.program(c);
      add({
        key: `x:${c.pid}`, kind: 'program', label: w.label, detail: `pid ${c.pid} · not traced · ${w.ended}`, height: GROUP_H,
        indent: indent + 1, process: p.index, thread: -1, dim: true, filterEvents: false, collapsible: false, collapsed: false,
        failed: w.failed, processRow: false, program: c,
      });
    }
    for (const c of userKids) visit(c, indent + 1, seen);
    if (helperKids.length) helperGroup(p, `hp:${p.pid}`, [], helperKids, indent + 1, seen);
  };
  const seen = new Set<number>();
  for (const r of roots) visit(r, 0, seen);
  // Processes only reachable through a cycle of parent pids still get shown.
  for (const p of store.processes) if (!seen.has(p.pid)) visit(p, 0, seen);
  return { rows, height: y, anchor, processRow, taskAnchor, folded };
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
