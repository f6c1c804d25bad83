/**
 * Draws the selected finding over the lanes: its time window as a faint
 * band, its lanes tinted with a stripe at their left edge, each event it
 * rests on outlined (spans) or ringed (points), and its edges as arrows
 * between those events — the wait-for cycle, the racing pair, the
 * lock-order edges — labelled with the edge's words. Colour = severity.
 */
import { placeRow, type RowPlace } from '../data/rowPlace';
import { withAlpha } from '../theme';
import type { DrawnFinding, Frame } from './frame';

/** Sideways bow of an arrow between two events at (almost) the same time. */
const BOW_PX = 26;
const LABEL_FONT_PX = 11;

interface Point {
  x: number;
  y: number;
}

export function drawFinding(ctx: CanvasRenderingContext2D, f: Frame): void {
  const sel = f.finding;
  if (!sel) return;
  const { view, palette, layout, store, data } = f;
  const fd = sel.finding;
  const color = palette.severity[fd.severity] ?? palette.error;
  const top = -f.scrollTop;
  const drawn: DrawnFinding = { id: fd.id, band: null, lanes: [], marks: [], edges: [] };

  // The window, over everything.
  const bx0 = view.x(Math.min(fd.window.startTs, fd.window.endTs));
  const bx1 = view.x(Math.max(fd.window.startTs, fd.window.endTs));
  if (bx1 >= -1 && bx0 <= view.width + 1) {
    const a = Math.max(bx0, -1);
    const b = Math.min(Math.max(bx1, bx0 + 1), view.width + 1);
    ctx.fillStyle = withAlpha(color, 0.06);
    ctx.fillRect(a, 0, b - a, f.viewHeight);
    ctx.fillStyle = withAlpha(color, 0.55);
    if (bx0 >= 0) ctx.fillRect(bx0, 0, 1, f.viewHeight);
    if (bx1 <= view.width && bx1 - bx0 >= 2) ctx.fillRect(bx1, 0, 1, f.viewHeight);
    drawn.band = { x0: bx0, x1: bx1 };
  }

  // Its lanes: a tint and a stripe at the left edge.
  const lanes = new Set<number>();
  for (const t of sel.threads) {
    const li = t < layout.anchor.length ? layout.anchor[t] : -1;
    if (li >= 0) lanes.add(li);
  }
  for (const li of lanes) {
    const row = layout.rows[li];
    const y = row.y + top;
    drawn.lanes.push(row.key);
    if (y + row.height < 0 || y > f.viewHeight) continue;
    ctx.fillStyle = withAlpha(color, 0.08);
    ctx.fillRect(0, y, view.width, row.height - 1);
    ctx.fillStyle = color;
    ctx.fillRect(0, y, 3, row.height - 1);
  }

  // Its events.
  const places = new Map<number, RowPlace>();
  // Edge ends are placed even off screen (an arrow may cross the view); other events only if in view.
  const ends = new Set<number>();
  for (const e of fd.edges) ends.add(e.fromRow).add(e.toRow);
  for (const r of sel.rows) {
    if (!ends.has(r)) {
      const e = store.end[r];
      if (store.ts[r] > view.v1 || (Number.isNaN(e) ? f.openEnd : e) < view.v0) continue;
    }
    const p = placeRow(store, data, layout, r, f.openEnd);
    if (!p) continue;
    places.set(r, p);
    const x0 = view.x(p.t0);
    const x1 = view.x(p.t1);
    const y = p.y + top;
    drawn.marks.push({ row: r, x0, x1, y, h: p.h });
    if (x1 < -8 || x0 > view.width + 8 || y + p.h < 0 || y > f.viewHeight) continue;
    if (p.span && !p.onHeader) {
      const w = Math.max(6, x1 - x0 + 2);
      const x = x1 - x0 + 2 < 6 ? (x0 + x1) / 2 - 3 : x0 - 1;
      ctx.lineWidth = 4;
      ctx.strokeStyle = palette.background;
      ctx.strokeRect(x, y, w, p.h);
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.strokeRect(x, y, w, p.h);
    } else {
      ring(ctx, x0, y + 4, palette.background, color);
    }
  }

  // Its edges.
  ctx.font = `${LABEL_FONT_PX}px ${palette.font}`;
  ctx.textBaseline = 'middle';
  for (const e of fd.edges) {
    const pa = places.get(e.fromRow);
    const pb = places.get(e.toRow);
    if (!pa || !pb) continue;
    // Where both ends exist together inside the window (a wait-for edge holds all along it),
    // its middle on screen; ends that never overlap (two accesses) each at their own time.
    const w0 = Math.min(fd.window.startTs, fd.window.endTs);
    const w1 = Math.max(fd.window.startTs, fd.window.endTs);
    const lo = Math.max(pa.t0, pb.t0, w0, view.v0);
    const hi = Math.min(pa.t1, pb.t1, w1, view.v1);
    const at = hi >= lo ? (lo + hi) / 2 : Math.max(pa.t0, pb.t0, w0);
    const a = anchor(f, pa, at, top);
    const b = anchor(f, pb, at, top);
    if (Math.abs(a.x - b.x) < 1 && Math.abs(a.y - b.y) < 1) continue;
    drawn.edges.push({ fromRow: e.fromRow, toRow: e.toRow, label: e.label, x0: a.x, y0: a.y, x1: b.x, y1: b.y });
    arrow(ctx, a, b, color, palette.background, e.label, palette.foreground, view.width);
  }
  if (f.collect) f.collect.finding = drawn;
}

/** Where an arrow attaches to an event: at time `at` inside it, at its vertical middle. */
function anchor(f: Frame, p: RowPlace, at: number, top: number): Point {
  const t = Math.min(Math.max(at, p.t0), p.t1);
  return { x: f.view.x(t), y: p.y + top + (p.span && !p.onHeader ? p.h / 2 : 4) };
}

function ring(ctx: CanvasRenderingContext2D, x: number, y: number, under: string, color: string): void {
  ctx.beginPath();
  ctx.arc(x, y, 5.5, 0, Math.PI * 2);
  ctx.lineWidth = 4;
  ctx.strokeStyle = under;
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = color;
  ctx.stroke();
}

/**
 * A curved arrow a → b with its head at b. Ends at about the same x bow sideways — downwards
 * ones to the right, upwards ones to the left — so a two-party cycle reads as a loop.
 */
function arrow(ctx: CanvasRenderingContext2D, a: Point, b: Point, color: string, under: string, label: string, textColor: string, width: number): void {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let c1: Point;
  let c2: Point;
  /** The label goes on the outer side of a sideways bow. */
  let labelLeft = false;
  if (Math.abs(dx) < 12) {
    labelLeft = dy < 0;
    const bow = (dy >= 0 ? 1 : -1) * BOW_PX;
    c1 = { x: a.x + bow, y: a.y + dy * 0.1 };
    c2 = { x: b.x + bow, y: b.y - dy * 0.1 };
  } else if (Math.abs(dy) < 2) {
    c1 = { x: a.x + dx / 3, y: a.y - 14 };
    c2 = { x: b.x - dx / 3, y: b.y - 14 };
  } else {
    const h = Math.max(Math.abs(dx) / 2, 8) * Math.sign(dx);
    c1 = { x: a.x + h, y: a.y };
    c2 = { x: b.x - h, y: b.y };
  }
  for (const [w, s] of [[4, under], [2, color]] as const) {
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.bezierCurveTo(c1.x, c1.y, c2.x, c2.y, b.x, b.y);
    ctx.lineWidth = w;
    ctx.strokeStyle = s;
    ctx.stroke();
  }
  // Head along the curve's last tangent.
  let tx = b.x - c2.x;
  let ty = b.y - c2.y;
  const len = Math.hypot(tx, ty) || 1;
  tx /= len;
  ty /= len;
  ctx.beginPath();
  ctx.moveTo(b.x, b.y);
  ctx.lineTo(b.x - tx * 8 - ty * 4.5, b.y - ty * 8 + tx * 4.5);
  ctx.lineTo(b.x - tx * 8 + ty * 4.5, b.y - ty * 8 - tx * 4.5);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ctx.beginPath();
  ctx.arc(a.x, a.y, 2.5, 0, Math.PI * 2);
  ctx.fill();
  if (!label) return;
  // The label on a pill at the curve's middle.
  const m = {
    x: 0.125 * a.x + 0.375 * c1.x + 0.375 * c2.x + 0.125 * b.x,
    y: 0.125 * a.y + 0.375 * c1.y + 0.375 * c2.y + 0.125 * b.y,
  };
  const text = label.length > 48 ? `${label.slice(0, 47)}…` : label;
  const w = ctx.measureText(text).width + 8;
  const h = LABEL_FONT_PX + 5;
  // On the other side when it would leave the canvas; kept inside it in any case.
  const right = m.x + 4;
  const left = m.x - 4 - w;
  const x0 = labelLeft ? (left < 2 ? right : left) : right + w > width - 2 ? left : right;
  const x = Math.max(2, Math.min(width - w - 2, x0));
  const y = m.y - h / 2;
  ctx.fillStyle = withAlpha(under, 0.92);
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  ctx.fillStyle = textColor;
  ctx.fillText(text, x + 4, m.y + 0.5);
}
