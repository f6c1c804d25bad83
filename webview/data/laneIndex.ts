/**
 * Per-lane indexes built once per data change, so a frame only touches what
 * is on screen: rows sorted by start time, spans split into depth levels in
 * which no two spans overlap (so both starts and ends are sorted and one
 * binary search finds the first visible span).
 */
import type { TraceStore } from '../../src/core/trace/traceStore';

/** A growable list of store rows with their start times, kept in time order. */
export class RowList {
  rows = new Int32Array(16);
  ts = new Float64Array(16);
  n = 0;

  push(row: number, t: number): void {
    if (this.n === this.rows.length) {
      const rows = new Int32Array(this.n * 2);
      rows.set(this.rows);
      this.rows = rows;
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      this.ts = ts;
    }
    let at = this.n++;
    if (at > 0 && t < this.ts[at - 1]) {
      // Rows of different processes may arrive slightly out of time order: insert in place.
      const pos = this.upperBoundIn(t, at);
      this.rows.copyWithin(pos + 1, pos, at);
      this.ts.copyWithin(pos + 1, pos, at);
      at = pos;
    }
    this.rows[at] = row;
    this.ts[at] = t;
  }

  clear(): void {
    this.n = 0;
  }

  /** Index of the first entry with ts > t. */
  upperBound(t: number): number {
    return this.upperBoundIn(t, this.n);
  }

  private upperBoundIn(t: number, n: number): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Index of the first entry at or after `from` with ts >= t, galloping forward: a frame
   * steps through a list column by column, so the answer is usually a few entries away.
   */
  seek(from: number, t: number): number {
    const ts = this.ts;
    const n = this.n;
    if (from >= n || ts[from] >= t) return from;
    let step = 1;
    let lo = from;
    let hi = from + 1;
    while (hi < n && ts[hi] < t) {
      lo = hi;
      step *= 2;
      hi = Math.min(n, hi + step);
    }
    // ts[lo] < t, and ts[hi] >= t or hi === n
    while (lo + 1 < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < t) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /** Index of the first entry with ts >= t. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Where an open span (end NaN) ends for layout purposes: not yet. */
const endForLayout = (store: TraceStore, row: number): number => {
  const e = store.end[row];
  return Number.isNaN(e) ? Infinity : e;
};

/** Spans that cannot nest beyond this share the last level (drawn over each other). */
export const MAX_DEPTH = 6;

/** The spans of one lane, stacked by nesting depth. */
export class LaneSpans {
  readonly levels: RowList[] = [];
  /** Rows of spans still enclosing the latest start, outermost first. */
  private stack: number[] = [];
  /** Start of the latest span placed. */
  lastStart = -Infinity;
  private all: number[] | undefined;
  /** Kinds and objects seen on this lane, for search. */
  readonly kinds = new Map<number, number>();
  readonly objs = new Set<number>();
  count = 0;

  get depth(): number {
    return Math.max(1, this.levels.length);
  }

  /** Adds a span; returns true when the lane got a new level (its height changed). */
  add(store: TraceStore, row: number): boolean {
    const t = store.ts[row];
    this.count++;
    this.kinds.set(store.kind[row], (this.kinds.get(store.kind[row]) ?? 0) + 1);
    this.objs.add(store.obj[row]);
    if (t < this.lastStart) {
      // Out of order (rare: a span written after spans it encloses): re-stack the lane.
      const rows = this.rowsInOrder();
      rows.push(row);
      const before = this.depth;
      this.restack(store, rows);
      return this.depth !== before;
    }
    return this.place(store, row);
  }

  private place(store: TraceStore, row: number): boolean {
    const t = store.ts[row];
    this.lastStart = t;
    while (this.stack.length > 0 && endForLayout(store, this.stack[this.stack.length - 1]) <= t) this.stack.pop();
    const d = Math.min(this.stack.length, MAX_DEPTH - 1);
    if (this.stack.length < MAX_DEPTH) this.stack.push(row);
    let grew = false;
    while (this.levels.length <= d) {
      this.levels.push(new RowList());
      grew = this.levels.length > 1; // a lane is one level high even when empty
    }
    this.levels[d].push(row, t);
    this.all = undefined;
    return grew;
  }

  /**
   * A span that was open when later spans were placed has closed at `end`: those that start
   * after it were stacked on it by mistake. Re-stacks the lane if there are any.
   */
  closed(store: TraceStore, end: number): boolean {
    if (!(this.lastStart >= end)) return false;
    const before = this.depth;
    this.restack(store, this.rowsInOrder());
    this.all = undefined;
    return this.depth !== before;
  }

  private rowsInOrder(): number[] {
    const out: number[] = [];
    for (const l of this.levels) for (let i = 0; i < l.n; i++) out.push(l.rows[i]);
    return out;
  }

  private restack(store: TraceStore, rows: number[]): void {
    // Outer spans first when two start together: the longer one encloses the other.
    rows.sort((x, y) => store.ts[x] - store.ts[y] || endForLayout(store, y) - endForLayout(store, x) || x - y);
    this.levels.length = 0;
    this.stack = [];
    this.lastStart = -Infinity;
    for (const r of rows) this.place(store, r);
  }

  /** Every row of the lane in start order (cached until the next add). */
  rows(store: TraceStore): number[] {
    if (!this.all) {
      this.all = this.rowsInOrder();
      this.all.sort((x, y) => store.ts[x] - store.ts[y]);
    }
    return this.all;
  }
}

/**
 * Index in `list` of the first span whose end is at or after t: on one level spans do not
 * overlap, so ends are sorted like starts and the candidate is the last start before t.
 */
export function firstSpanEndingAfter(store: TraceStore, list: RowList, t: number, openEnd: number): number {
  const i = list.upperBound(t) - 1;
  if (i < 0) return 0;
  const e = store.end[list.rows[i]];
  return (Number.isNaN(e) ? openEnd : e) >= t ? i : i + 1;
}
