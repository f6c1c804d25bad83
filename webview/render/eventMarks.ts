/**
 * Marks of single events on a lane: point markers (spawns, starts, puts…) along its top, and
 * reads and writes of shared memory in a row of their own with the values beside them.
 */
import type { RowList } from '../data/laneIndex';
import type { LaneRow } from '../data/laneLayout';
import { eventMatches } from '../data/search';
import { K } from '../../src/core/trace/recordKinds';
import { eventLabel, eventName, pointCategory } from '../data/spanKinds';
import { blend } from '../theme';
import { DrawBatch } from './drawBatch';
import { fitText, type Frame } from './frame';

const batch = new DrawBatch();

/** Words drawn after the shapes they belong to. */
export interface Label {
  text: string;
  x: number;
  y: number;
  color: string;
  alpha: number;
}

/** Markers closer than this merge into one bar (they are 7 px wide: closer ones are a blob anyway). */
const MARKER_GAP = 8;

/**
 * Point markers: small triangles at the top of the lane; where they crowd (closer than
 * MARKER_GAP), one bar in the first one's colour.
 */
export function drawPoints(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, points: RowList, laneTop: number): void {
  const { view, palette, store } = f;
  const pad = 4 * view.nsPerPx;
  let i = points.lowerBound(view.v0 - pad);
  let runX0 = NaN;
  let runX1 = NaN;
  let runColor = '';
  let runAlpha = 1;
  const flush = (): void => {
    if (Number.isNaN(runX0)) return;
    if (runX1 - runX0 < 1) batch.marker(runColor, runAlpha, runX0, laneTop);
    else batch.rect(runColor, runAlpha, runX0 - 3, laneTop, runX1 - runX0 + 6, 3);
    runX0 = NaN;
  };
  while (i < points.n) {
    const t = points.ts[i];
    if (t > view.v1 + pad) break;
    const r = points.rows[i];
    const cat = pointCategory(store.kind[r]);
    if (!cat || f.hidden.has(cat)) {
      i++;
      continue;
    }
    const x = view.x(t);
    const alpha = row.filterEvents && !eventMatches(f.query, store.kind[r], store.obj[r]) ? 0.25 : 1;
    if (f.collect?.points && f.collect.points.length < f.collect.limit) f.collect.points.push({ lane: row.key, row: r, kind: eventName(store.kind[r]), x });
    if (!Number.isNaN(runX0) && x - runX1 < MARKER_GAP && alpha === runAlpha) runX1 = x;
    else {
      flush();
      runX0 = runX1 = x;
      runColor = palette.category[cat];
      runAlpha = alpha;
    }
    // Everything within the next pixel column joins this run: skip it.
    i = points.seek(i + 1, view.t(Math.floor(x) + 1));
  }
  flush();
  batch.paint(ctx, palette.outline);
}

/** Room a shared access's words need beside its tick ("write balance = 41"). */
const SHARED_LABEL_PX = 84;

/**
 * Reads and writes of shared memory: a tick across the lane for each, reads in the upper half
 * (lighter), writes in the lower half, so two processes' read-modify-writes show how they
 * interleave; with room, the value read or written beside it ("read balance → 41").
 */
export function drawShared(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, list: RowList, top: number, h: number): void {
  const { view, palette, store } = f;
  const color = palette.category.shared;
  const light = blend(palette.background, color, 0.5);
  const half = Math.floor(h / 2);
  let i = list.lowerBound(view.v0 - 2 * view.nsPerPx);
  const labels: Label[] = [];
  const dense = list.upperBound(view.v1) - i > 4 * view.width;
  // Ticks in neighbouring pixel columns merge into one bar, reads and writes apart.
  const runs: [number, number, number][] = [[NaN, NaN, 1], [NaN, NaN, 1]];
  const flush = (k: 0 | 1): void => {
    const r = runs[k];
    if (Number.isNaN(r[0])) return;
    batch.rect(k ? color : light, r[2], r[0] - 1, k ? top + half : top, r[1] - r[0] + 2, k ? h - half : half);
    r[0] = NaN;
  };
  while (i < list.n) {
    const t = list.ts[i];
    if (t > view.v1 + 2 * view.nsPerPx) break;
    const r = list.rows[i];
    const k = store.kind[r] === K.SHARED_WRITE ? 1 : 0;
    const x = view.x(t);
    const alpha = row.filterEvents && !eventMatches(f.query, store.kind[r], store.obj[r]) ? 0.25 : 1;
    const run = runs[k];
    if (!Number.isNaN(run[0]) && x - run[1] <= 2 && run[2] === alpha) run[1] = x;
    else {
      flush(k as 0 | 1);
      run[0] = run[1] = x;
      run[2] = alpha;
    }
    const next = i + 1 < list.n ? view.x(list.ts[i + 1]) : Infinity;
    let label: string | undefined;
    if (next - x >= SHARED_LABEL_PX) {
      label = fitText(eventLabel(store, r), Math.min(next - x, 220) - 6, 5.6);
      if (label) labels.push({ text: label, x: x + 3, y: (k ? top + half + (h - half) / 2 : top + half / 2) + 0.5, color: palette.foreground, alpha });
    }
    if (f.collect?.points && f.collect.points.length < f.collect.limit) f.collect.points.push({ lane: row.key, row: r, kind: eventName(store.kind[r]), x, label });
    // Far more accesses than pixels: the first and last of each pixel column are what shows.
    i = dense ? Math.max(i + 1, list.seek(i + 1, view.t(Math.floor(x) + 1)) - 1) : i + 1;
  }
  flush(0);
  flush(1);
  batch.paint(ctx, palette.outline);
  if (labels.length === 0) return;
  const font = ctx.font;
  ctx.font = `10px ${palette.font}`;
  for (const l of labels) {
    ctx.globalAlpha = l.alpha;
    ctx.fillStyle = l.color;
    ctx.fillText(l.text, l.x, l.y);
  }
  ctx.globalAlpha = 1;
  ctx.font = font;
}
