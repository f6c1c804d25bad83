/**
 * Flow arrows (spawn, join, queue, pipe, task) from one lane to another.
 * Flows come sorted by source time; only those whose span of time meets the
 * window are drawn. Each kind is one path (one stroke); when there are many,
 * arrows become faint straight lines, one per pixel pair, without heads.
 */
import type { Flow, FlowKind } from '../../src/core/analysis/flows';
import { flowIndex, visibleFlows } from '../data/flowIndex';
import { LANE_PAD, ROW_H, type Layout } from '../data/laneLayout';
import type { Frame } from './frame';

/** Beyond this many visible arrows, drop the heads and curves and draw one arrow per pixel pair. */
const DENSE = 400;
const KIND_ORDER: FlowKind[] = ['spawn', 'join', 'queue', 'pipe', 'task'];

export function anchorY(layout: Layout, thread: number): number {
  const ri = thread >= 0 && thread < layout.anchor.length ? layout.anchor[thread] : -1;
  if (ri < 0) return NaN;
  const row = layout.rows[ri];
  if (row.kind === 'process') return row.y + row.height / 2;
  if (row.kind === 'helpers' || row.kind === 'program') return row.y + row.height / 2;
  return row.y + LANE_PAD + ROW_H / 2;
}

/** Sorts flows by source time (once per recompute), so a frame can stop early. */
export function sortFlows(flows: Flow[]): Flow[] {
  return flows.sort((a, b) => a.fromTs - b.fromTs);
}

export function drawArrows(ctx: CanvasRenderingContext2D, f: Frame): number {
  const { view, palette, layout, flows } = f;
  if (f.flowKinds.size === 0 || flows.length === 0) return 0;
  const { v0, v1 } = view;
  const anchors = layout.anchor;
  const folded = layout.folded;
  // One pass: the visible arrows' ends, by kind.
  const ends = new Map<FlowKind, number[]>();
  for (const k of KIND_ORDER) if (f.flowKinds.has(k)) ends.set(k, []);
  let count = 0;
  // By binary search per kind and thread pair (flowIndex.ts); sampled per 4-pixel column when dense.
  // Dense: about DENSE lines in all (long anti-aliased lines are what a CPU rasterizer spends a frame on).
  const columnNs = Math.max(4, Math.ceil((flowIndex(flows).groups.length * view.width) / DENSE)) * view.nsPerPx;
  const seen = visibleFlows(flows, v0, v1, f.flowKinds, DENSE, columnNs, (i) => {
    const fl = flows[i];
    const list = ends.get(fl.kind);
    if (!list) return;
    const ra = fl.fromThread >= 0 && fl.fromThread < anchors.length ? anchors[fl.fromThread] : -1;
    const rb = fl.toThread >= 0 && fl.toThread < anchors.length ? anchors[fl.toThread] : -1;
    if (ra < 0 || rb < 0) return;
    // Between two threads of a folded library group: the library talking to itself, hidden with it.
    if (folded && folded[fl.fromThread] === 1 && folded[fl.toThread] === 1) return;
    list.push(i, ra, rb);
    count++;
  });
  if (count === 0) return 0;
  const dense = seen.sampled || count > DENSE;
  const baseAlpha = ctx.globalAlpha;
  // Sampled, the lines drawn are bounded (about DENSE): a fixed faintness keeps them visible.
  if (dense) ctx.globalAlpha = seen.sampled ? 0.3 : Math.max(0.12, Math.min(0.6, DENSE / count));
  ctx.lineWidth = dense ? 0.75 : 1.25;
  // Dense: one arrow per (kind, lane pair, 4-pixel source column); sources come in time order.
  const lastX = dense ? new Map<number, number>() : undefined;
  let drawn = 0;
  const heads: number[] = [];
  for (const [kind, list] of ends) {
    if (list.length === 0) continue;
    ctx.beginPath();
    heads.length = 0;
    for (let k = 0; k < list.length; k += 3) {
      const fl = flows[list[k]];
      const ra = list[k + 1];
      const rb = list[k + 2];
      const x0 = view.x(fl.fromTs);
      const x1 = view.x(fl.toTs);
      if (lastX) {
        const key = ra * 65536 + rb;
        const px = Math.round(x0 / (seen.sampled ? columnNs / view.nsPerPx : 4));
        if (lastX.get(key) === px) continue;
        lastX.set(key, px);
      }
      const y0 = anchorY(layout, fl.fromThread) - f.scrollTop;
      const y1 = anchorY(layout, fl.toThread) - f.scrollTop;
      if (Math.max(y0, y1) < -20 || Math.min(y0, y1) > f.viewHeight + 20) continue;
      drawn++;
      if (f.collect && f.collect.arrows.length < f.collect.limit) {
        f.collect.arrows.push({ kind, from: fl.from, to: fl.to, x0, y0, x1, y1 });
      }
      ctx.moveTo(x0, y0);
      if (dense) ctx.lineTo(x1, y1);
      else if (Math.abs(y1 - y0) < 2) ctx.quadraticCurveTo((x0 + x1) / 2, y0 - 10, x1, y1); // same lane: bow upwards
      else {
        const dx = Math.max(Math.abs(x1 - x0) / 2, 6);
        ctx.bezierCurveTo(x0 + dx, y0, x1 - dx, y1, x1, y1);
      }
      if (!dense) heads.push(x0, y0, x1, y1);
    }
    const color = palette.flow[kind];
    ctx.strokeStyle = color;
    ctx.stroke();
    if (heads.length > 0) {
      ctx.fillStyle = color;
      ctx.beginPath();
      for (let h = 0; h < heads.length; h += 4) {
        const [x0, y0, x1, y1] = [heads[h], heads[h + 1], heads[h + 2], heads[h + 3]];
        ctx.moveTo(x0 + 2, y0);
        ctx.arc(x0, y0, 2, 0, Math.PI * 2);
        // Both curves arrive from the left: the head points right.
        ctx.moveTo(x1, y1);
        ctx.lineTo(x1 - 6, y1 - 3.5);
        ctx.lineTo(x1 - 6, y1 + 3.5);
        ctx.closePath();
      }
      ctx.fill();
    }
  }
  ctx.globalAlpha = baseAlpha;
  return drawn;
}
