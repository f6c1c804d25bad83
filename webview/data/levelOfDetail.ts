/**
 * Level of detail for one depth level of a lane (a RowList of spans that do
 * not overlap): the spans summed into time bins, per zoom level, so that a
 * frame of a zoomed-out million-span lane walks a few bins per pixel column
 * instead of every span.
 *
 * Level k has bins of width W·4^k. A span shorter than two bins is counted in
 * the bin of its start (count, time, and the category that took most of the
 * bin's time); a longer one stays an individual span of that level (it is at
 * least half a pixel wide wherever the level is used, and non-overlapping
 * spans that long number at most two per pixel). Each level is built from
 * the one below it, so the whole pyramid costs about one pass over the spans.
 *
 * Built lazily, per list, for the rows closed when it is built; rows added
 * later are drawn one by one until there are enough of them to rebuild.
 */
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { RowList } from './laneIndex';
import { CATEGORIES, spanCategory } from './spanKinds';

export const CATEGORY_COUNT = CATEGORIES.length;
const catIndex = new Map(CATEGORIES.map((c, i) => [c.id, i]));
/** Category index by record kind (−1: not a span). */
const CAT_OF = new Int8Array(1 << 16).fill(-1);
for (let kind = 0; kind < 1 << 16; kind++) {
  const c = spanCategory(kind);
  if (c) CAT_OF[kind] = catIndex.get(c) ?? -1;
}

export interface LodLevel {
  /** Bin width (ns). */
  width: number;
  /** Bins with spans, in time order: bin number (start = key × width), spans, their time, the main category, first list index. */
  n: number;
  key: Float64Array;
  count: Uint32Array;
  busy: Float64Array;
  cat: Int8Array;
  /** List index of the first span counted in the bin (the bin's spans need not be contiguous: long ones in between are not in it). */
  first: Int32Array;
  /** List indices of the spans drawn one by one at this level, in time order. */
  long: Int32Array;
  nLong: number;
}

export class SpanLod {
  readonly levels: LodLevel[] = [];
  /** List entries [0, covered) are in the levels. */
  covered = 0;

  constructor(store: TraceStore, list: RowList) {
    let n = 0;
    // Up to the first open span (its end is not known yet) or a span out of time order.
    while (n < list.n && store.end[list.rows[n]] === store.end[list.rows[n]]) n++;
    this.covered = n;
    this.lastRow = n > 0 ? list.rows[n - 1] : -1;
    if (n < 2) return;
    const spacing = (list.ts[n - 1] - list.ts[0]) / n;
    let width = 4 ** Math.max(0, Math.round(Math.log(Math.max(1, spacing)) / Math.log(4)));
    let level = baseLevel(store, list, n, width);
    this.levels.push(level);
    while (level.n > 1 || level.nLong > 0) {
      width *= 4;
      level = nextLevel(store, list, level, width);
      this.levels.push(level);
      if (this.levels.length > 40) break;
    }
  }

  /** The row at covered − 1 when built: if it moved, rows were inserted in place and the levels are stale. */
  readonly lastRow: number;

  /** The coarsest level whose bins are at most `nsPerPx` wide, or undefined when even the finest is wider. */
  levelFor(nsPerPx: number): LodLevel | undefined {
    let best: LodLevel | undefined;
    for (const l of this.levels) {
      if (l.width <= nsPerPx) best = l;
      else break;
    }
    return best;
  }
}

/**
 * Builds one level into typed arrays sized for the most bins it can have (no growing arrays of
 * numbers: building a million-span lane's levels was mostly allocation and garbage collection,
 * on the way to the first frame).
 */
class LevelBuilder {
  n = 0;
  nLong = 0;
  readonly key: Float64Array;
  readonly count: Uint32Array;
  readonly busy: Float64Array;
  readonly cat: Int8Array;
  readonly first: Int32Array;
  readonly long: Int32Array;
  private curKey = NaN;
  private curCount = 0;
  private curFirst = 0;
  /** The one category added to the open bin (−1: none yet, −2: several). */
  private curCat = -1;
  private readonly catTime = new Float64Array(CATEGORY_COUNT);

  /** `bins`: at most this many bins; `longs`: at most this many long spans. */
  constructor(readonly width: number, bins: number, longs: number) {
    this.key = new Float64Array(bins);
    this.count = new Uint32Array(bins);
    this.busy = new Float64Array(bins);
    this.cat = new Int8Array(bins);
    this.first = new Int32Array(bins);
    this.long = new Int32Array(longs);
  }

  pushLong(i: number): void {
    this.long[this.nLong++] = i;
  }

  add(key: number, count: number, busy: number, cat: number, first: number): void {
    if (key !== this.curKey) {
      this.close();
      this.curKey = key;
      this.curCount = 0;
      this.curFirst = first;
    }
    this.curCount += count;
    // Weight by time, and at least a little by count (zero-length spans still show).
    if (cat >= 0) {
      this.catTime[cat] += busy + count * 1e-9;
      if (this.curCat === -1) this.curCat = cat;
      else if (this.curCat !== cat) this.curCat = -2;
    }
  }

  close(): void {
    if (this.curKey !== this.curKey || this.curCount === 0) return;
    let best = 0;
    let total = 0;
    const one = this.curCat;
    if (one >= 0) {
      // One category in the bin (most bins of the finest levels): no need to look at the others.
      best = one;
      total = this.catTime[one];
      this.catTime[one] = 0;
    } else if (one === -2) {
      for (let c = 0; c < CATEGORY_COUNT; c++) {
        total += this.catTime[c];
        if (this.catTime[c] > this.catTime[best]) best = c;
      }
      this.catTime.fill(0);
    }
    const k = this.n++;
    this.key[k] = this.curKey;
    this.count[k] = this.curCount;
    this.busy[k] = total;
    this.cat[k] = best;
    this.first[k] = this.curFirst;
    this.curCat = -1;
    this.curKey = NaN;
  }

  finish(): LodLevel {
    this.close();
    const n = this.n;
    // Copies of the used part when it is much smaller than what was set aside (the next level's is a quarter).
    const fit = <T extends Float64Array | Uint32Array | Int8Array | Int32Array>(a: T, used: number): T =>
      (used * 2 < a.length ? a.slice(0, used) : a.subarray(0, used)) as T;
    return {
      width: this.width, n, key: fit(this.key, n), count: fit(this.count, n), busy: fit(this.busy, n), cat: fit(this.cat, n),
      first: fit(this.first, n), long: fit(this.long, this.nLong), nLong: this.nLong,
    };
  }
}

function baseLevel(store: TraceStore, list: RowList, n: number, width: number): LodLevel {
  const b = new LevelBuilder(width, n, n);
  const { rows, ts } = list;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const d = store.end[r] - ts[i];
    if (d >= 2 * width) b.pushLong(i);
    else b.add(Math.floor(ts[i] / width), 1, d, CAT_OF[store.kind[r]], i);
  }
  return b.finish();
}

/** Level k + 1 from level k: four bins become one; long spans now shorter than two bins join the bins. */
function nextLevel(store: TraceStore, list: RowList, prev: LodLevel, width: number): LodLevel {
  const b = new LevelBuilder(width, prev.n + prev.nLong, prev.nLong);
  let j = 0;
  let l = 0;
  while (j < prev.n || l < prev.nLong) {
    const binStart = j < prev.n ? prev.key[j] * prev.width : Infinity;
    const li = l < prev.nLong ? prev.long[l] : -1;
    const longStart = li >= 0 ? list.ts[li] : Infinity;
    if (binStart <= longStart) {
      b.add(Math.floor(prev.key[j] / 4), prev.count[j], prev.busy[j], prev.cat[j], prev.first[j]);
      j++;
    } else {
      const r = list.rows[li];
      const d = store.end[r] - longStart;
      if (d >= 2 * width) b.pushLong(li);
      else b.add(Math.floor(longStart / width), 1, d, CAT_OF[store.kind[r]], li);
      l++;
    }
  }
  return b.finish();
}

const cache = new WeakMap<RowList, SpanLod>();

/**
 * The level of detail of a list, built (or rebuilt) when missing, stale, or when the rows it does
 * not cover are more than `maxTail`.
 */
export function spanLod(store: TraceStore, list: RowList, maxTail: number): SpanLod {
  let lod = cache.get(list);
  const stale = lod && (lod.covered > list.n || (lod.covered > 0 && list.rows[lod.covered - 1] !== lod.lastRow));
  if (!lod || stale || list.n - lod.covered > maxTail) {
    lod = new SpanLod(store, list);
    cache.set(list, lod);
  }
  return lod;
}

/** First index in [0, n) of `key` (sorted) with key[i] ≥ k. */
export function lowerBoundKey(key: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
