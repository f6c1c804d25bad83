/** What is under the pointer: an event on a lane, a lane, a stdout write, a core sample. */
import { firstSpanEndingAfter, type RowList } from './data/laneIndex';
import { LANE_PAD, ROW_H, rowAt } from './data/laneLayout';
import { clusterAt, type SpanCluster } from './data/spanCluster';
import { pointCategory, spanCategory } from './data/spanKinds';
import type { BottomLayout } from './render/bottomRenderer';
import type { Frame } from './render/frame';

export type Hit =
  | { type: 'event'; row: number; lane: number }
  | { type: 'lane'; lane: number }
  /** Several spans narrower than a pixel in the column under the pointer (drawn as one). */
  | ({ type: 'cluster'; lane: number } & SpanCluster)
  | { type: 'stdout'; row: number }
  | { type: 'core'; core: number; thread: number; cpu: number }
  | { type: 'cpu'; t: number; values: number[] };

const TOL_PX = 3;

/** x in plot pixels, y in lane coordinates (scroll included). */
export function hitLanes(f: Frame, x: number, y: number): Hit | undefined {
  const li = rowAt(f.layout, y);
  if (li < 0) return undefined;
  const lane = f.layout.rows[li];
  if (lane.kind === 'process') return { type: 'lane', lane: li };
  const local = y - lane.y - LANE_PAD;
  const { view, store } = f;
  const t = view.t(x);
  const tol = TOL_PX * view.nsPerPx;
  const points = lane.task ? lane.task.points : f.data.threadLanes[lane.thread]?.points;
  if (points && local < 8) {
    const p = nearestPoint(f, points, t, tol + view.nsPerPx);
    if (p >= 0) return { type: 'event', row: p, lane: li };
  }
  const levels = lane.spans?.levels ?? [];
  const d = Math.floor(local / ROW_H);
  const list = levels[d];
  if (list && f.hidden.size === 0) {
    const px = Math.floor(x);
    const cluster = clusterAt(store, list, view.t(px), view.t(px + 1), f.openEnd);
    if (cluster) return { type: 'cluster', lane: li, ...cluster };
  }
  if (list) {
    let best = -1;
    let bestDist = Infinity;
    for (let i = firstSpanEndingAfter(store, list, t - tol, f.openEnd); i < list.n && list.ts[i] <= t + tol; i++) {
      const r = list.rows[i];
      const cat = spanCategory(store.kind[r]);
      if (!cat || f.hidden.has(cat)) continue;
      const e = Number.isNaN(store.end[r]) ? f.openEnd : store.end[r];
      const dist = t < list.ts[i] ? list.ts[i] - t : t > e ? t - e : 0;
      if (dist < bestDist) {
        best = r;
        bestDist = dist;
      }
      if (dist === 0) break;
    }
    if (best >= 0) return { type: 'event', row: best, lane: li };
  }
  if (points) {
    const p = nearestPoint(f, points, t, tol);
    if (p >= 0) return { type: 'event', row: p, lane: li };
  }
  return { type: 'lane', lane: li };
}

function nearestPoint(f: Frame, points: RowList, t: number, tol: number): number {
  let best = -1;
  let bestDist = Infinity;
  for (let i = points.lowerBound(t - tol); i < points.n && points.ts[i] <= t + tol; i++) {
    const r = points.rows[i];
    const cat = pointCategory(f.store.kind[r]);
    if (!cat || f.hidden.has(cat)) continue;
    const dist = Math.abs(points.ts[i] - t);
    if (dist < bestDist) {
      best = r;
      bestDist = dist;
    }
  }
  return best;
}

/** x in plot pixels, y inside the bottom panel. */
export function hitBottom(f: Frame, b: BottomLayout, x: number, y: number): Hit | undefined {
  const { view, store, data } = f;
  const t = view.t(x);
  if (y < b.cpuY) {
    const p = nearestInList(data.stdout, t, 4 * view.nsPerPx);
    return p >= 0 ? { type: 'stdout', row: p } : undefined;
  }
  if (y < b.coresY) {
    const values = data.coreSamples.map((list) => {
      const i = list.lowerBound(t);
      return i < list.n ? store.a[list.rows[i]] : NaN;
    });
    return { type: 'cpu', t, values };
  }
  const core = Math.floor((y - b.coresY - 2) / Math.max(1, b.coreRowH));
  const runs = data.coreRuns[core];
  if (!runs) return undefined;
  let lo = 0;
  let hi = runs.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs.end[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < runs.n && runs.end[i] <= t + runs.maxLen; i++) {
    if (runs.start[i] <= t && runs.end[i] >= t) return { type: 'core', core, thread: runs.thread[i], cpu: runs.cpu[i] };
  }
  return undefined;
}

function nearestInList(list: RowList, t: number, tol: number): number {
  let best = -1;
  let bestDist = Infinity;
  for (let i = list.lowerBound(t - tol); i < list.n && list.ts[i] <= t + tol; i++) {
    const dist = Math.abs(list.ts[i] - t);
    if (dist < bestDist) {
      best = list.rows[i];
      bestDist = dist;
    }
  }
  return best;
}
