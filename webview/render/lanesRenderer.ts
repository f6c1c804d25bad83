/**
 * Draws the lanes canvas: process headers (life and CPU), thread and task
 * lanes (life shaded by CPU %, spans by state, point markers), the selection.
 * Only rows in the vertical viewport and spans in the time window are
 * touched; spans narrower than a pixel are merged per pixel column.
 */
import { firstSpanEndingAfter, type LaneSpans, type RowList } from '../data/laneIndex';
import { LANE_PAD, PROCESS_H, ROW_H, sharedRowOf, type LaneRow } from '../data/laneLayout';
import { placeRow } from '../data/rowPlace';
import { eventMatches } from '../data/search';
import { CATEGORIES, eventLabel, eventName, spanCategory, type Category } from '../data/spanKinds';
import { blend, textOn } from '../theme';
import { drawCpuChart } from './bottomRenderer';
import { DrawBatch } from './drawBatch';
import { drawPoints, drawShared, type Label } from './eventMarks';
import { fitText, type Frame } from './frame';
import { drawLevelAggregated } from './lodSpans';
import { maybeTranslucent, pixelWord, PixelStrip } from './pixelImage';

const batch = new DrawBatch();
/** CPU shading of one band, painted as a row of pixels and drawn stretched (one image draw a lane). */
const shadeStrip = new PixelStrip();

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
    else if (row.kind === 'helpers') drawHelpers(ctx, f, row, y);
    else if (row.kind === 'program') drawProgram(ctx, f, row, y);
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

/** Where a process's life ends on screen: its exit (or the signal that ended it), else "now". */
function processEnd(f: Frame, process: number): number {
  const p = f.store.processes[process];
  const end = p ? f.data.naming.lifeEnd(p) : NaN;
  return Number.isNaN(end) ? f.openEnd : end;
}

/** The exit mark at the end of a process's life (red when it ended badly). */
function drawExit(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number, h: number): void {
  const p = f.store.processes[row.process];
  if (!p?.exited) return;
  const x = f.view.x(processEnd(f, row.process));
  if (x < -2 || x > f.view.width + 2) return;
  ctx.fillStyle = row.failed ? f.palette.error : f.palette.foreground;
  ctx.fillRect(x - 1, y + 3, 2, h - 6);
}

/** A folded group of helpers: a thin line for each one's life. */
function drawHelpers(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number): void {
  const { view, palette, store } = f;
  ctx.fillStyle = blend(palette.background, palette.muted, 0.55);
  const mid = y + row.height / 2 - 1;
  const line = (t0: number, t1: number): void => {
    const x0 = Math.max(view.x(t0), -1);
    const x1 = Math.min(view.x(t1), view.width + 1);
    if (x1 >= 0 && x0 <= view.width) ctx.fillRect(x0, mid, Math.max(1, x1 - x0), 2);
  };
  for (const t of (row.members?.threads ?? []).slice(0, 200)) {
    const th = store.threads[t];
    if (th) line(th.startTs, Number.isNaN(th.endTs) ? processEnd(f, th.process) : th.endTs);
  }
  for (const p of (row.members?.processes ?? []).slice(0, 200)) line(store.processes[p].startTs, processEnd(f, p));
}

/** A program the process started that is not traced: from its start to when its parent saw it end. */
function drawProgram(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number): void {
  const c = row.program;
  if (!c) return;
  const { view, palette, store } = f;
  const t0 = store.ts[c.row];
  const j = c.joinRow;
  const t1 = j >= 0 && !Number.isNaN(store.end[j]) && store.b[j] === 1 ? store.end[j] : t0;
  const x0 = view.x(t0);
  const x1 = Math.max(view.x(t1), x0 + 3);
  if (x1 < 0 || x0 > view.width) return;
  ctx.fillStyle = blend(palette.background, palette.category.spawn, 0.45);
  ctx.fillRect(x0, y + 4, x1 - x0, row.height - 8);
}

function drawProcess(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number): void {
  const { view, palette, store } = f;
  const p = store.processes[row.process];
  ctx.fillStyle = palette.headerBackground;
  ctx.fillRect(0, y, view.width, row.height);
  const end = processEnd(f, row.process);
  const x0 = Math.max(view.x(p.startTs), -1);
  const x1 = Math.min(view.x(end), view.width + 1);
  if (x1 >= 0 && x0 <= view.width) {
    // The process's own CPU % (all its threads, 100 per core) shades its life bar.
    ctx.fillStyle = blend(palette.headerBackground, palette.muted, 0.35);
    ctx.fillRect(x0, y + PROCESS_H - 6, Math.max(1, x1 - x0), 4);
    const want = f.cpu?.processWant.get(p.index);
    const used = f.cpu?.processCores.get(p.index);
    if (want && used && row.height > PROCESS_H) {
      // Several threads of one process: cores used against threads wanting CPU, in words (the GIL lesson).
      drawCpuChart(ctx, f, used, want, undefined, y + 2, row.height - 4, Math.max(f.cpu!.cores, want.max), f.cpu!.cores, false, p.pid);
    } else {
      const cpu = f.data.processCpu.get(p.pid);
      if (cpu) shadeSamples(ctx, f, cpu, y + 3, PROCESS_H - 10, shades(palette.headerBackground, palette.category.running), p.startTs, 100);
    }
    drawExit(ctx, f, row, y, row.height);
  }
}

function drawLane(ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, y: number, charW: number): number {
  const { view, palette, store, data } = f;
  const th = store.threads[row.thread];
  const laneTop = y + LANE_PAD;
  const laneH = row.height - 2 * LANE_PAD;
  const running = palette.category.running;
  if (row.kind === 'thread' && th && !f.hidden.has('running')) {
    // A thread never seen to end ended with its process at the latest (SIGTERM ends no thread).
    const end = Number.isNaN(th.endTs) ? processEnd(f, th.process) : th.endTs;
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
  if (row.task && !f.hidden.has('async')) {
    // A task's life: between its steps it is suspended in an await (what it waits on, when the
    // runtime records it, is drawn on top).
    ctx.fillStyle = blend(palette.background, palette.category.async, 0.1);
    // Tasks of one lane never overlap: in creation order, starts and ends both ascend.
    const tasks = row.task.tasks;
    const end = (i: number): number => (Number.isNaN(tasks[i].t1) ? processEnd(f, row.process) : tasks[i].t1);
    let lo = 0;
    let hi = tasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (end(mid) < view.v0) lo = mid + 1;
      else hi = mid;
    }
    let runX0 = NaN;
    let runX1 = NaN;
    for (let i = lo; i < tasks.length && tasks[i].t0 <= view.v1; i++) {
      const x0 = Math.max(view.x(tasks[i].t0), -1);
      const x1 = Math.min(view.x(end(i)), view.width + 1);
      if (!Number.isNaN(runX0) && x0 <= runX1 + 1) runX1 = Math.max(runX1, x1);
      else {
        if (!Number.isNaN(runX0)) ctx.fillRect(runX0, laneTop, Math.max(1, runX1 - runX0), laneH);
        runX0 = x0;
        runX1 = x1;
      }
    }
    if (!Number.isNaN(runX0)) ctx.fillRect(runX0, laneTop, Math.max(1, runX1 - runX0), laneH);
  }
  let drawn = 0;
  if (row.processRow) drawExit(ctx, f, row, y, row.height);
  if (row.spans) drawn += drawSpans(ctx, f, row, row.spans, laneTop, charW);
  const points = row.task ? row.task.points : data.threadLanes[row.thread]?.points;
  if (points) drawPoints(ctx, f, row, points, laneTop);
  const lane = row.task ? undefined : data.threadLanes[row.thread];
  const sharedRow = sharedRowOf(lane);
  if (lane && sharedRow >= 0 && !f.hidden.has('shared')) drawShared(ctx, f, row, lane.shared, laneTop + sharedRow * ROW_H + 1, ROW_H - 2);
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
  // Many samples in view and opaque shades (blend() gives #rrggbb): into a pixel strip; else rectangles.
  const scale = ctx.getTransform().a || 1;
  const many = list.upperBound(view.v1) - i > 64;
  const words = !many || colors.some(maybeTranslucent) || !shadeStrip.begin(Math.ceil(view.width * scale), scale) ? undefined : colors.map(pixelWord);
  const emit = (): void => {
    if (spanLevel > 0 && spanEnd > spanX) {
      const x0 = Math.max(spanX, -1);
      const x1 = Math.min(spanEnd, view.width + 1);
      if (words) shadeStrip.fill(x0, x1, words[spanLevel]);
      else batch.rect(colors[spanLevel], 1, x0, y, x1 - x0, h);
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
  if (words) shadeStrip.draw(ctx, y, h);
  else batch.paint(ctx, null);
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
/** A run of tiny spans is drawn at least this wide, so a 0.2 ms task shows at any zoom. */
const MIN_PX = 3;
/** Up to this many spans per pixel of width, a level is walked span by span. */
const SPANS_PER_PX = 200;
const CATEGORY_IDS: Category[] = CATEGORIES.map((c) => c.id);
const CATEGORY_INDEX = Object.fromEntries(CATEGORY_IDS.map((c, i) => [c, i])) as Record<Category, number>;
/** Time per category inside the run being merged. */
const runTime = new Float64Array(CATEGORY_IDS.length);

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
  // A span still open when its process ended (killed in a wait) ends with the process.
  const openEnd = processEnd(f, row.process);
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
    let runCount = 0;
    // A run's count is written after it only if the next thing drawn leaves room for it.
    let pending: Label | undefined;
    let pendingEnd = 0;
    const settle = (nextX: number): void => {
      if (pending && nextX >= pendingEnd) labels.push(pending);
      pending = undefined;
    };
    const flush = (): void => {
      if (runX1 > runX0) {
        // A merged run shows the state that took most of its time, never thinner than MIN_PX,
        // with the number of spans in it when there are several (six 0.2 ms tasks at fit).
        let best = 0;
        for (let c = 1; c < runTime.length; c++) if (runTime[c] > runTime[best]) best = c;
        const w = Math.max(MIN_PX, runX1 - runX0);
        batch.rect(colors[best], runAlpha, runX0, y, w, h);
        f.collect?.runs?.push({ lane: row.key, x0: runX0, x1: runX0 + w, count: runCount });
        runTime.fill(0);
        if (runCount > 1) {
          const text = `×${runCount}`;
          const tx = runX0 + w + 2;
          if (tx < width) {
            pending = { text, x: tx, y: y + h / 2 + 0.5, color: f.palette.muted, alpha: runAlpha };
            pendingEnd = tx + text.length * charW + 3;
          }
        }
      }
      runX1 = -Infinity;
      runCount = 0;
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
        // Spans closer than the minimum width join the run (they would be drawn over each other).
        if (runX1 > -Infinity && px <= Math.max(runX1, runX0 + MIN_PX) && runAlpha === alpha) {
          if (px + w > runX1) runX1 = px + w;
        } else {
          flush();
          settle(px);
          runX0 = px;
          runX1 = px + w;
          runAlpha = alpha;
        }
        runTime[c] += e - s;
        runCount++;
        if (!exhaustive) {
          const j = list.seek(i + 1, v0 + (px + 1) / scale) - 2;
          if (j > i) {
            runCount += j - i;
            i = j;
          }
        }
        continue;
      }
      flush();
      settle(x0);
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
    settle(width);
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
