/** What is under the pointer: an event on a lane, a lane, a stdout write, a core sample. */
import { firstSpanEndingAfter, type RowList } from './data/laneIndex';
import { LANE_PAD, ROW_H, rowAt, sharedRowOf } from './data/laneLayout';
import { clusterAt, type SpanCluster } from './data/spanCluster';
import { pointCategory, spanCategory } from './data/spanKinds';
import { sampleAt, stepAt } from './data/cpuModel';
import type { BottomLayout } from './render/bottomRenderer';
import type { Frame } from './render/frame';

export type Hit =
  | { type: 'event'; row: number; lane: number }
  | { type: 'lane'; lane: number }
  /** Several spans narrower than a pixel in the column under the pointer (drawn as one). */
  | ({ type: 'cluster'; lane: number } & SpanCluster)
  | { type: 'stdout'; row: number }
  | { type: 'core'; core: number; thread: number; cpu: number; t: number; from: number }
  | { type: 'cpu'; t: number; values: { util: number; mine: number }[] }
  | { type: 'program'; t: number; cores: number; want: number; processes: number };

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
  const threadLane = lane.task ? undefined : f.data.threadLanes[lane.thread];
  const sharedRow = sharedRowOf(threadLane);
  if (threadLane && sharedRow >= 0 && Math.floor(local / ROW_H) === sharedRow && !f.hidden.has('shared')) {
    const p = nearestPoint(f, threadLane.shared, t, tol);
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
  if (y < b.programY) {
    const p = nearestInList(data.stdout, t, 4 * view.nsPerPx);
    return p >= 0 ? { type: 'stdout', row: p } : undefined;
  }
  if (y < b.coresY) {
    const cpu = f.cpu;
    if (!cpu) return undefined;
    return { type: 'program', t, cores: sampleAt(cpu.program, t), want: stepAt(cpu.want, t), processes: stepAt(cpu.wantProcesses, t) };
  }
  if (y < b.seenY) {
    const values = data.coreSamples.map((list, c) => {
      const i = list.lowerBound(t);
      const from = i > 0 ? list.ts[i - 1] : -Infinity;
      if (i >= list.n || from > t) return { util: NaN, mine: NaN };
      return { util: store.a[list.rows[i]], mine: 100 * Math.min(1, f.cpu?.coreShare[c]?.[i] ?? 0) };
    });
    return { type: 'cpu', t, values };
  }
  const core = Math.floor((y - b.seenY - 2) / Math.max(1, b.seenRowH));
  const s = data.coreSightings[core];
  if (!s) return undefined;
  const tol = 4 * view.nsPerPx;
  let best = -1;
  for (let i = s.lowerBound(t - tol); i < s.n && s.ts[i] <= t + tol; i++) if (best < 0 || Math.abs(s.ts[i] - t) < Math.abs(s.ts[best] - t)) best = i;
  return best >= 0 ? { type: 'core', core, thread: s.thread[best], cpu: s.cpu[best], t: s.ts[best], from: s.from[best] } : undefined;
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
