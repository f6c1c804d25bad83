/**
 * Flow arrows (spawn, join, queue, pipe, task) from one lane to another.
 * Flows come sorted by source time; only those whose span of time meets the
 * window are drawn, and when there are many, one per pixel pair.
 */
import type { Flow } from '../../src/core/analysis/flows';
import { LANE_PAD, PROCESS_H, ROW_H, type Layout } from '../data/laneLayout';
import type { Frame } from './frame';

/** Beyond this many visible arrows, drop the heads and draw one arrow per pixel pair. */
const DENSE = 400;

export function anchorY(layout: Layout, thread: number): number {
  const ri = thread >= 0 && thread < layout.anchor.length ? layout.anchor[thread] : -1;
  if (ri < 0) return NaN;
  const row = layout.rows[ri];
  return row.kind === 'process' ? row.y + PROCESS_H / 2 : row.y + LANE_PAD + ROW_H / 2;
}

/** Sorts flows by source time (once per recompute), so a frame can stop early. */
export function sortFlows(flows: Flow[]): Flow[] {
  return flows.sort((a, b) => a.fromTs - b.fromTs);
}

export function drawArrows(ctx: CanvasRenderingContext2D, f: Frame): number {
  const { view, palette, layout, flows } = f;
  if (f.flowKinds.size === 0 || flows.length === 0) return 0;
  const { v0, v1 } = view;
  const visible: Flow[] = [];
  for (const fl of flows) {
    if (fl.fromTs > v1) break;
    if (!f.flowKinds.has(fl.kind)) continue;
    if (Math.max(fl.fromTs, fl.toTs) < v0) continue;
    visible.push(fl);
  }
  const dense = visible.length > DENSE;
  const seen = dense ? new Set<string>() : undefined;
  let drawn = 0;
  ctx.lineWidth = 1.25;
  for (const fl of visible) {
    const ya = anchorY(layout, fl.fromThread);
    const yb = anchorY(layout, fl.toThread);
    if (Number.isNaN(ya) || Number.isNaN(yb)) continue;
    const x0 = view.x(fl.fromTs);
    const x1 = view.x(fl.toTs);
    const y0 = ya - f.scrollTop;
    const y1 = yb - f.scrollTop;
    if (Math.max(y0, y1) < -20 || Math.min(y0, y1) > f.viewHeight + 20) continue;
    if (seen) {
      const key = `${fl.kind}${x0 | 0},${y0 | 0},${x1 | 0},${y1 | 0}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    drawn++;
    if (f.collect && f.collect.arrows.length < f.collect.limit) {
      f.collect.arrows.push({ kind: fl.kind, from: fl.from, to: fl.to, x0, y0, x1, y1 });
    }
    const color = palette.flow[fl.kind];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    if (Math.abs(y1 - y0) < 2) {
      // Same lane: bow upwards so the arrow does not hide in the lane.
      const mid = (x0 + x1) / 2;
      ctx.quadraticCurveTo(mid, y0 - 10, x1, y1);
    } else {
      const dx = Math.max(Math.abs(x1 - x0) / 2, 6);
      ctx.bezierCurveTo(x0 + dx, y0, x1 - dx, y1, x1, y1);
    }
    ctx.stroke();
    if (!dense) {
      ctx.beginPath();
      ctx.arc(x0, y0, 2, 0, Math.PI * 2);
      ctx.fill();
      const dir = 1; // both curves arrive from the left
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 6 * dir, y1 - 3.5);
      ctx.lineTo(x1 - 6 * dir, y1 + 3.5);
      ctx.closePath();
      ctx.fill();
    }
  }
  return drawn;
}
