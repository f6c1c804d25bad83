/**
 * Draws one depth level of a lane from its level of detail (data/levelOfDetail.ts)
 * when far more of its spans are in view than there are pixels: spans narrower
 * than a pixel become one column per pixel in the colour of the state that took
 * most of that column's time, wider ones are drawn one by one as usual. A
 * frame then costs a few bins per pixel column whatever the trace's size.
 * With categories hidden or a search filter on, the caller draws span by span
 * (the bins do not know which of their spans match).
 */
import { firstSpanEndingAfter, type LaneSpans, type RowList } from '../data/laneIndex';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { LaneRow } from '../data/laneLayout';
import { CATEGORY_COUNT, lowerBoundKey, spanLod, type LodLevel } from '../data/levelOfDetail';
import { CATEGORIES, eventLabel, eventName } from '../data/spanKinds';
import { textOn } from '../theme';
import { DrawBatch } from './drawBatch';
import { fitText, type Frame } from './frame';
import { maybeTranslucent, pixelWord, PixelStrip } from './pixelImage';

/** Span by span while at most this many spans per pixel of width are in view. */
export const EXACT_PER_PX = 4;
/** The narrowest plot the app draws (app.ts: 50 px). */
const MIN_PLOT_PX = 50;

export interface SpanLabel {
  text: string;
  x: number;
  y: number;
  color: string;
  alpha: number;
}

const colTime = new Float64Array(CATEGORY_COUNT);
const columns = new DrawBatch();
const strip = new PixelStrip();

/** Spans of `list` in view (binary searches only). */
export function spansInView(f: Frame, list: RowList): { from: number; to: number } {
  return { from: firstSpanEndingAfter(f.store, list, f.view.v0, f.openEnd), to: list.upperBound(f.view.v1) };
}

/**
 * Draws the level aggregated if that is what it needs; returns how many spans of the list are in
 * view (all drawn, as columns or one by one), or −1 when the caller should draw span by span.
 */
export function drawLevelAggregated(
  ctx: CanvasRenderingContext2D, f: Frame, row: LaneRow, list: RowList, y: number, h: number, batch: DrawBatch, labels: SpanLabel[], charW: number,
): number {
  const { view, store } = f;
  if (f.hidden.size > 0 || row.filterEvents) return -1;
  const { from, to } = spansInView(f, list);
  if (to - from <= EXACT_PER_PX * view.width) return -1;
  const lod = spanLod(store, list, Math.max(4096, list.n >> 3));
  const level = lod.levelFor(view.nsPerPx);
  if (!level) return -1;
  const styles = f.spanStyles;
  if (!styles) return -1;
  // Columns without outlines (an outline per run of columns would only add strokes to rasterize),
  // painted as one strip of pixels stretched over the level's band when the colours are opaque.
  const scale = ctx.getTransform().a || 1;
  if (!styles.colors.some(maybeTranslucent) && strip.begin(Math.ceil(f.view.width * scale), scale)) {
    const words = styles.colors.map(pixelWord);
    drawBins(f, row, level, y, h, (cat, x0, x1) => strip.fill(x0, x1, words[cat]));
    strip.draw(ctx, y, h);
  } else {
    drawBins(f, row, level, y, h, (cat, x0, x1) => columns.rect(styles.colors[cat], 1, x0, y, x1 - x0, h));
    columns.paint(ctx, null);
  }
  drawOneByOne(f, row, list, level.long, level.nLong, y, h, batch, labels, charW, styles);
  // Rows added since the levels were built (a live run), one by one.
  drawTail(f, row, list, lod.covered, y, h, batch, styles);
  return to - from;
}

/**
 * Builds the levels of detail of every lane level that could ever be drawn aggregated (more spans
 * than EXACT_PER_PX per pixel of the narrowest plot), so the first pan or zoom out to a crowded
 * stretch does not build them inside its frame. Called once a saved trace's first frame is drawn.
 */
export function buildLevelsOfDetail(store: TraceStore, lanes: Iterable<LaneSpans | undefined>): void {
  for (const spans of lanes) {
    for (const list of spans?.levels ?? []) {
      if (list.n > EXACT_PER_PX * MIN_PLOT_PX) spanLod(store, list, Math.max(4096, list.n >> 3));
    }
  }
}

/** Runs of columns of one category: `run(category, x0, x1)`. */
function drawBins(f: Frame, row: LaneRow, level: LodLevel, y: number, h: number, run: (cat: number, x0: number, x1: number) => void): void {
  const { v0, v1, width } = f.view;
  const scale = width / (v1 - v0);
  const w = level.width;
  let i = lowerBoundKey(level.key, level.n, Math.floor(v0 / w));
  let col = NaN;
  let colCount = 0;
  let runX0 = 0;
  let runX1 = -1;
  let runCat = -1;
  const emitRun = (): void => {
    if (runX1 > runX0) run(runCat, runX0, runX1);
  };
  const closeColumn = (): void => {
    if (colCount === 0) return;
    let best = 0;
    for (let c = 1; c < CATEGORY_COUNT; c++) if (colTime[c] > colTime[best]) best = c;
    if (best === runCat && col === runX1) runX1 = col + 1;
    else {
      emitRun();
      runX0 = col;
      runX1 = col + 1;
      runCat = best;
    }
    if (f.collect) f.collect.columns?.push({ lane: row.key, x: col, y, h, count: colCount, category: CATEGORIES[best].id });
    colTime.fill(0);
    colCount = 0;
  };
  for (; i < level.n; i++) {
    const t = level.key[i] * w;
    if (t > v1) break;
    const px = Math.floor((t - v0) * scale);
    if (px !== col) {
      closeColumn();
      col = px;
    }
    colCount += level.count[i];
    colTime[level.cat[i]] += level.busy[i] + level.count[i] * 1e-9;
  }
  closeColumn();
  emitRun();
}

function drawOneByOne(
  f: Frame, row: LaneRow, list: RowList, idx: Int32Array, n: number, y: number, h: number, batch: DrawBatch, labels: SpanLabel[], charW: number,
  styles: NonNullable<Frame['spanStyles']>,
): void {
  const { view, store } = f;
  const { v0, v1, width } = view;
  const scale = width / (v1 - v0);
  // Non-overlapping: ends are sorted like starts; the first visible is the last starting before v0, or the next.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list.ts[idx[mid]] <= v0) lo = mid + 1;
    else hi = mid;
  }
  let j = Math.max(0, lo - 1);
  for (; j < n; j++) {
    const li = idx[j];
    const s = list.ts[li];
    if (s > v1) break;
    const r = list.rows[li];
    const e = store.end[r];
    if (e < v0) continue;
    const c = styles.catOf[store.kind[r]];
    if (c < 0) continue;
    const x0 = Math.max((s - v0) * scale, -2);
    const x1 = Math.min((e - v0) * scale, width + 2);
    const color = styles.colors[c];
    batch.rect(color, 1, x0, y, Math.max(1, x1 - x0), h);
    if (f.collect && f.collect.spans.length < f.collect.limit) {
      f.collect.spans.push({ lane: row.key, row: r, kind: eventName(store.kind[r]), label: eventLabel(store, r, (x) => f.data.taskName(x)), x0, x1, y, h });
    }
    if (x1 - x0 > 24) {
      const text = fitText(eventLabel(store, r, (x) => f.data.taskName(x)), x1 - x0 - 6, charW);
      if (text) labels.push({ text, x: x0 + 3, y: y + h / 2 + 0.5, color: textOn(color), alpha: 1 });
    }
  }
}

/** Entries [from, n) of the list: one rectangle each, at most one per pixel column. */
function drawTail(f: Frame, row: LaneRow, list: RowList, from: number, y: number, h: number, batch: DrawBatch, styles: NonNullable<Frame['spanStyles']>): void {
  const { view, store } = f;
  const { v0, v1, width } = view;
  const scale = width / (v1 - v0);
  let i = Math.max(from, firstSpanEndingAfter(store, list, v0, f.openEnd));
  while (i < list.n) {
    const s = list.ts[i];
    if (s > v1) break;
    const r = list.rows[i];
    const c = styles.catOf[store.kind[r]];
    const end = store.end[r];
    const e = end !== end ? f.openEnd : end;
    const x0 = (s - v0) * scale;
    const x1 = (e - v0) * scale;
    if (c >= 0) {
      batch.rect(styles.colors[c], 1, Math.max(x0, -2), y, Math.max(1, Math.min(x1, width + 2) - Math.max(x0, -2)), h);
      if (f.collect && f.collect.spans.length < f.collect.limit) {
        f.collect.spans.push({ lane: row.key, row: r, kind: eventName(store.kind[r]), label: eventLabel(store, r), x0, x1, y, h });
      }
    }
    // Whatever else starts in this pixel column is under this rectangle.
    i = x1 - x0 < 1 ? Math.max(i + 1, list.seek(i + 1, v0 + (Math.floor(x0) + 1) / scale)) : i + 1;
  }
}
