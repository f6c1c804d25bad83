/**
 * Which rows a live view gets when the trace grows faster than a view can
 * take (see LiveBatches): at most `cap` of the new rows, the rest summed up
 * per thread and stretch of time. The trace itself keeps every row.
 *
 * Always sent: spans still open (what is going on now: a wait that may be a
 * deadlock), the rows of processes' and threads' lives (start, exit, spawn,
 * join, exceptions, tracer status), CPU samples, and rows asked for by name
 * (`pinned`: the rows findings point at). The rest is shared out between the
 * threads that have rows (a thread with few keeps them all); a thread with
 * more than its share has its time cut into as many stretches as its share,
 * and each stretch keeps its longest span (a point counts as 0 long), so
 * what a pixel column would show survives. Left out: the other rows of each
 * stretch, counted in `OmittedRows` with their time range and busy time.
 */
import type { OmittedRows } from '../protocol';
import { K } from './recordKinds';
import type { TraceStore } from './traceStore';

export interface Decimated {
  /** Trace rows to send, ascending. */
  rows: number[];
  /** What was left out, per thread and stretch. */
  omitted: OmittedRows;
  omittedCount: number;
}

const ALWAYS = new Set<number>([
  K.PROCESS_START, K.PROCESS_EXIT, K.PROCESS_SPAWN, K.PROCESS_JOIN, K.PROCESS_TERMINATE, K.THREAD_START, K.THREAD_SPAWN,
  K.THREAD_JOIN, K.THREAD_EXCEPTION, K.CHILD_PROCESS, K.TRACER_STATUS, K.EVENTS_LOST, K.SAMPLE_CPU, K.SAMPLE_CORE,
]);
const ALWAYS_KIND = new Uint8Array(256);
for (const k of ALWAYS) ALWAYS_KIND[k] = 1;

export const emptyOmitted = (): OmittedRows => ({ thread: [], from: [], to: [], count: [], busy: [] });

/**
 * Rows [from, to) of `store`, thinned to about `cap` (never fewer than the
 * rows that are always sent).
 */
export function decimate(store: TraceStore, from: number, to: number, cap: number, pinned: ReadonlySet<number> = new Set()): Decimated {
  const omitted = emptyOmitted();
  const keep = new Uint8Array(to - from);
  let kept = 0;
  // Rows per thread that compete for the rest of the room.
  const byThread = new Map<number, number[]>();
  const { kind, end, thread } = store;
  for (let row = from; row < to; row++) {
    const k = kind[row];
    if ((k < 256 && ALWAYS_KIND[k] === 1) || Number.isNaN(end[row]) || pinned.has(row)) {
      keep[row - from] = 1;
      kept++;
      continue;
    }
    const t = thread[row];
    let list = byThread.get(t);
    if (!list) byThread.set(t, (list = []));
    list.push(row);
  }
  let room = Math.max(0, cap - kept);
  // Fair shares: the threads with fewest rows first, each takes at most an equal part of what is left.
  const lanes = [...byThread.entries()].sort((x, y) => x[1].length - y[1].length);
  let omittedCount = 0;
  for (let i = 0; i < lanes.length; i++) {
    const [t, rows] = lanes[i];
    const share = Math.max(1, Math.floor(room / (lanes.length - i)));
    if (rows.length <= share) {
      for (const r of rows) keep[r - from] = 1;
      room -= rows.length;
      continue;
    }
    room -= share;
    omittedCount += thinLane(store, t, rows, share, keep, from, omitted);
  }
  const out: number[] = [];
  for (let i = 0; i < keep.length; i++) if (keep[i]) out.push(from + i);
  return { rows: out, omitted, omittedCount };
}

/** One thread's rows cut into `share` stretches of time; each keeps its longest row. Returns how many were left out. */
function thinLane(store: TraceStore, t: number, rows: number[], share: number, keep: Uint8Array, from: number, omitted: OmittedRows): number {
  const { ts, end } = store;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const r of rows) {
    if (ts[r] < t0) t0 = ts[r];
    if (ts[r] > t1) t1 = ts[r];
  }
  const width = Math.max(1, (t1 - t0) / share);
  const best = new Int32Array(share).fill(-1);
  const bestLen = new Float64Array(share).fill(-1);
  const bucketOf = (r: number): number => Math.min(share - 1, Math.floor((ts[r] - t0) / width));
  for (const r of rows) {
    const b = bucketOf(r);
    const len = end[r] - ts[r];
    if (len > bestLen[b]) {
      bestLen[b] = len;
      best[b] = r;
    }
  }
  // What each stretch left out: count, time range, time its spans covered.
  const count = new Int32Array(share);
  const lo = new Float64Array(share).fill(Infinity);
  const hi = new Float64Array(share).fill(-Infinity);
  const busy = new Float64Array(share);
  for (const r of rows) {
    const b = bucketOf(r);
    if (best[b] === r) {
      keep[r - from] = 1;
      continue;
    }
    count[b]++;
    if (ts[r] < lo[b]) lo[b] = ts[r];
    if (end[r] > hi[b]) hi[b] = end[r];
    busy[b] += end[r] - ts[r];
  }
  let left = 0;
  for (let b = 0; b < share; b++) {
    if (count[b] === 0) continue;
    omitted.thread.push(t);
    omitted.from.push(lo[b]);
    omitted.to.push(Math.max(lo[b], hi[b]));
    omitted.count.push(count[b]);
    omitted.busy.push(busy[b]);
    left += count[b];
  }
  return left;
}
