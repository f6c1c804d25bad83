/**
 * Draws the lanes canvas: process headers (life and CPU), thread and task
 * lanes (life shaded by CPU %, spans by state, point markers), the selection.
 * Only rows in the vertical viewport and spans in the time window are
 * touched; spans narrower than a pixel are merged per pixel column.
 */
import { firstSpanEndingAfter, type LaneSpans, type RowList } from '../data/laneIndex';
import { LANE_PAD, PROCESS_H, ROW_H, type LaneRow } from '../data/laneLayout';
import { placeRow } from '../data/rowPlace';
import { eventMatches } from '../data/search';
import { CATEGORIES, eventLabel, eventName, pointCategory, spanCategory, type Category } from '../data/spanKinds';
import { blend, textOn } from '../theme';
import { DrawBatch } from './drawBatch';
import { fitText, type Frame } from './frame';
import { drawLevelAggregated } from './lodSpans';

const batch = new DrawBatch();

const FONT_PX = 11;

export function drawLanes(ctx: CanvasRenderingContext2D, f: Frame): number {
  const { view, palette, layout } = f;
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, view.width, f.viewHeight);
  ctx.font = `${FONT_PX}px ${palette.font}`;
  ctx.textBaseline = 'middle';
  const charW = ctx.measureText('abcdefghijklmnopqrstuvwxyz0123456789').width / 36 || 6.5;
  f.spanStyles = spanStyles(f);
  let drawn = 0;
  const top = f.scrollTop;
  const bottom = top + f.viewHeight;
  for (const row of layout.rows) {
    if (row.y + row.height < top) continue;
    if (row.y > bottom) break;
    const y = row.y - top;
    ctx.globalAlpha = row.dim ? 0.55 : 1;
    if (row.kind === 'process') drawProcess(ctx, f, row, y);
    else drawn += drawLane(ctx, f, row, y, charW);
    ctx.globalAlpha = 1;
    ctx.fillStyle = palette.border;
    ctx.fillRect(0, y + row.height - 1, view.width, 1);
  }
  if (f.selectedRow >= 0) drawSelection(ctx, f);
  return drawn;
}

/** Outlines the selected event wherever it is drawn (at least a few pixels wide, even if tiny). */
function drawSelection(ctx: CanvasRenderingContext2D, f: Frame): void {
  const { store, view, palette, layout } = f;
  const r = f.selectedRow;
  const p = placeRow(store, f.data, layout, r, f.openEnd);
  if (!p || p.onHeader) return;
  const x0 = view.x(p.t0);
  const x1 = view.x(p.t1);
  const w = Math.max(6, x1 - x0 + 2);
  ctx.strokeStyle = palette.focus;
  ctx.lineWidth = 2;
  ctx.strokeRect(x1 - x0 + 2 < 6 ? (x0 + x1) / 2 - 3 : x0 - 1, p.y - f.scrollTop, w, p.h);
}

function drawProcess(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number): void {
  const { view, palette, store } = f;
  const p = store.processes[row.process];
  ctx.fillStyle = palette.headerBackground;
  ctx.fillRect(0, y, view.width, PROCESS_H);
  const end = p.exited ? p.endTs : f.openEnd;
  const x0 = Math.max(view.x(p.startTs), -1);
  const x1 = Math.min(view.x(end), view.width + 1);
  if (x1 >= 0 && x0 <= view.width) {
    // The process's own CPU % (all its threads, 100 per core) shades its life bar.
    ctx.fillStyle = blend(palette.headerBackground, palette.muted, 0.35);
    ctx.fillRect(x0, y + PROCESS_H - 6, Math.max(1, x1 - x0), 4);
    const cpu = f.data.processCpu.get(p.pid);
    if (cpu) shadeSamples(ctx, f, cpu, y + 3, PROCESS_H - 10, shades(palette.headerBackground, palette.category.running), p.startTs, 100);
    if (p.exited && x1 <= view.width) {
      ctx.fillStyle = row.failed ? palette.error : palette.foreground;
      ctx.fillRect(x1 - 1, y + 3, 2, PROCESS_H - 6);
    }
  }
}

function drawLane(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number, charW: number): number {
  const { view, palette, store, data } = f;
  const th = store.threads[row.thread];
  const laneTop = y + LANE_PAD;
  const laneH = row.height - 2 * LANE_PAD;
  const running = palette.category.running;
  if (row.kind === 'thread' && th && !f.hidden.has('running')) {
    const end = Number.isNaN(th.endTs) ? f.openEnd : th.endTs;
    const x0 = Math.max(view.x(th.startTs), -1);
    const x1 = Math.min(view.x(end), view.width + 1);
    if (x1 >= 0 && x0 <= view.width) {
      const life = blend(palette.background, running, 0.12);
      ctx.fillStyle = life;
      ctx.fillRect(x0, laneTop, Math.max(1, x1 - x0), laneH);
      const lane = data.threadLanes[row.thread];
      if (lane) shadeSamples(ctx, f, lane.cpu, laneTop, laneH, shades(life, running), th.startTs, 100);
    }
  }
  let drawn = 0;
  if (row.spans) drawn += drawSpans(ctx, f, row, row.spans, laneTop, charW);
  const points = row.task ? row.task.points : data.threadLanes[row.thread]?.points;
  if (points) drawPoints(ctx, f, row, points, laneTop);
  return drawn;
}

/**
 * Shades [previous sample, sample] by the sample's CPU % (a). Sub-pixel samples merge (max);
 * neighbours of the same shade (8 levels) are one rectangle.
 */
function shadeSamples(ctx: CanvasRenderingContext2D, f: Frame, list: RowList, y: number, h: number, colors: string[], from: number, full: number): void {
  const { view, store } = f;
  if (list.n === 0) return;
  const a = store.a;
  let i = Math.max(0, list.lowerBound(view.v0) - 1);
  let prevX = i > 0 ? view.x(list.ts[i - 1]) : Math.max(view.x(from), view.x(list.ts[0] - 50e6));
  let colX = prevX;
  let colMax = -1;
  let spanX = 0;
  let spanEnd = -Infinity;
  let spanLevel = 0;
  const emit = (): void => {
    if (spanLevel > 0 && spanEnd > spanX) {
      const x0 = Math.max(spanX, -1);
      batch.rect(colors[spanLevel], 1, x0, y, Math.min(spanEnd, view.width + 1) - x0, h);
    }
  };
  for (; i < list.n; i++) {
    const x = view.x(list.ts[i]);
    if (colMax < 0) colX = prevX;
    colMax = Math.max(colMax, Math.min(1, a[list.rows[i]] / full));
    prevX = x;
    if (x - colX >= 3 || i === list.n - 1) {
      const level = Math.round(colMax * 8);
      if (level === spanLevel && colX <= spanEnd + 0.5) spanEnd = x;
      else {
        emit();
        spanX = colX;
        spanEnd = x;
        spanLevel = level;
      }
      colMax = -1;
    }
    if (list.ts[i] > view.v1) break;
  }
  emit();
  batch.paint(ctx, null);
}

const shadeCache = new Map<string, string[]>();

/** The 9 CPU shades (0–8 eighths) of `color` over `under`, opaque. */
function shades(under: string, color: string): string[] {
  const key = `${under}|${color}`;
  let s = shadeCache.get(key);
  if (!s) {
    s = [];
    for (let level = 0; level <= 8; level++) s.push(blend(under, color, 0.06 + (0.3 * level) / 8));
    shadeCache.set(key, s);
  }
  return s;
}

/** Spans narrower than this merge with their neighbours into runs (per-call cost, not pixels, bounds a frame). */
const MERGE_PX = 2;
/** Up to this many spans per pixel of width, a level is walked span by span. */
const SPANS_PER_PX = 200;
const CATEGORY_IDS: Category[] = CATEGORIES.map((c) => c.id);
const CATEGORY_INDEX = Object.fromEntries(CATEGORY_IDS.map((c, i) => [c, i])) as Record<Category, number>;
/** Time per category inside the run being merged. */
const runTime = new Float64Array(CATEGORY_IDS.length);

interface Label {
  text: string;
  x: number;
  y: number;
  color: string;
  alpha: number;
}

/** Per frame: the category index of each span kind (−1: not a span, or hidden) and its colour. */
function spanStyles(f: Frame): { catOf: Int8Array; colors: string[] } {
  const catOf = new Int8Array(256).fill(-1);
  for (let kind = 0; kind < 256; kind++) {
    const cat = spanCategory(kind);
    if (cat && !f.hidden.has(cat)) catOf[kind] = CATEGORY_INDEX[cat];
  }
  return { catOf, colors: CATEGORY_IDS.map((c) => f.palette.category[c]) };
}

function drawSpans(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, spans: LaneSpans, laneTop: number, charW: number): number {
  const { view, store } = f;
  const { v0, v1, width } = view;
  const kinds = store.kind;
  const ends = store.end;
  const objs = store.obj;
  const openEnd = f.openEnd;
  // view.x, inlined: this loop runs for every visible span.
  const scale = width / (v1 - v0);
  const { catOf, colors } = f.spanStyles ?? spanStyles(f);
  const filter = row.filterEvents;
  const taskName = (r: number): string | undefined => f.data.taskName(r);
  const labels: Label[] = [];
  let drawn = 0;
  for (let d = 0; d < spans.levels.length; d++) {
    const list = spans.levels[d];
    const starts = list.ts;
    const rows = list.rows;
    const n = list.n;
    const y = laneTop + d * ROW_H + 1;
    const h = ROW_H - 2;
    // Far more spans in view than pixels: from the level of detail (lodSpans.ts).
    const aggregated = drawLevelAggregated(ctx, f, row, list, y, h, batch, labels, charW);
    if (aggregated >= 0) {
      drawn += aggregated;
      continue;
    }
    let i = firstSpanEndingAfter(store, list, v0, openEnd);
    // Visit every visible span (so a merged run's colour is exact) unless there are far more
    // than pixels; then sample a couple per pixel column.
    const exhaustive = !!f.collect || list.upperBound(v1) - i < SPANS_PER_PX * width;
    let runX0 = 0;
    let runX1 = -Infinity;
    let runAlpha = 1;
    const flush = (): void => {
      if (runX1 > runX0) {
        // A merged run shows the state that took most of its time.
        let best = 0;
        for (let c = 1; c < runTime.length; c++) if (runTime[c] > runTime[best]) best = c;
        batch.rect(colors[best], runAlpha, runX0, y, runX1 - runX0, h);
        runTime.fill(0);
      }
      runX1 = -Infinity;
    };
    for (; i < n; i++) {
      const s = starts[i];
      if (s > v1) break;
      const r = rows[i];
      const kind = kinds[r];
      const c = catOf[kind];
      if (c < 0) continue;
      const end = ends[r];
      const e = end !== end ? openEnd : end; // NaN: open
      const x0 = (s - v0) * scale;
      const x1 = (e - v0) * scale;
      const alpha = filter && !eventMatches(f.query, kind, objs[r]) ? 0.25 : 1;
      drawn++;
      if (f.collect && f.collect.spans.length < f.collect.limit) {
        f.collect.spans.push({ lane: row.key, row: r, kind: eventName(kind), label: eventLabel(store, r, taskName), x0, x1, y, h });
      }
      if (x1 - x0 < MERGE_PX) {
        // (Nearly) sub-pixel: grow the current run, then (if sampling) jump past this pixel column.
        const px = Math.floor(x0);
        const w = Math.max(1, Math.ceil(x1) - px);
        if (runX1 >= px && runAlpha === alpha) {
          if (px + w > runX1) runX1 = px + w;
        } else {
          flush();
          runX0 = px;
          runX1 = px + w;
          runAlpha = alpha;
        }
        runTime[c] += e - s;
        if (!exhaustive) {
          const j = list.seek(i + 1, v0 + (px + 1) / scale) - 2;
          if (j > i) i = j;
        }
        continue;
      }
      flush();
      const cx0 = Math.max(x0, -2);
      const cx1 = Math.min(x1, width + 2);
      const color = colors[c];
      batch.rect(color, alpha, cx0, y, cx1 - cx0, h);
      if (cx1 - cx0 > 24) {
        const text = fitText(eventLabel(store, r, taskName), cx1 - cx0 - 6, charW);
        if (text) labels.push({ text, x: cx0 + 3, y: y + h / 2 + 0.5, color: textOn(color), alpha });
      }
    }
    flush();
  }
  batch.paint(ctx, f.palette.outline);
  const base = ctx.globalAlpha;
  for (const l of labels) {
    ctx.globalAlpha = base * l.alpha;
    ctx.fillStyle = l.color;
    ctx.fillText(l.text, l.x, l.y);
  }
  ctx.globalAlpha = base;
  return drawn;
}

/** Markers closer than this merge into one bar (they are 7 px wide: closer ones are a blob anyway). */
const MARKER_GAP = 8;

/**
 * Point markers: small triangles at the top of the lane; where they crowd (closer than
 * MARKER_GAP), one bar in the first one's colour.
 */
function drawPoints(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, points: RowList, laneTop: number): void {
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
