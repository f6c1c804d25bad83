/**
 * The CPU charts decimated per pixel column, so a frame costs what the width shown costs, not
 * what the trace holds:
 * - a step function (threads wanting CPU): the lowest and the highest value holding anywhere in
 *   each column, exact however many changes a column holds (a min/max pyramid over the steps,
 *   built once per step function, answers each column in O(log n)), so a peak never vanishes;
 * - samples (cores used, a core's load): the highest sample whose window touches each column.
 * Columns lie on a grid fixed in time (column c covers [c·ns, (c + 1)·ns)), so a pan keeps the
 * columns it shares with the last frame (ColumnCache) and computes only the new ones.
 */
import type { Steps } from './cpuModel';

/** Steps per leaf of the pyramid: scanned directly (a short scan beats two more tree levels). */
const LEAF = 16;

/** Min and max of a step function's values over blocks of LEAF, 2·LEAF, ... (a segment tree over leaves). */
class MinMaxPyramid {
  /** Tree nodes: 1 the root, size + i the leaf i. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly size: number;

  constructor(readonly v: Int32Array) {
    const leaves = Math.max(1, Math.ceil(v.length / LEAF));
    let size = 1;
    while (size < leaves) size *= 2;
    this.size = size;
    this.lo = new Int32Array(2 * size).fill(2 ** 31 - 1);
    this.hi = new Int32Array(2 * size).fill(-(2 ** 31));
    for (let i = 0; i < v.length; i++) {
      const leaf = size + ((i / LEAF) | 0);
      if (v[i] < this.lo[leaf]) this.lo[leaf] = v[i];
      if (v[i] > this.hi[leaf]) this.hi[leaf] = v[i];
    }
    for (let k = size - 1; k >= 1; k--) {
      this.lo[k] = Math.min(this.lo[2 * k], this.lo[2 * k + 1]);
      this.hi[k] = Math.max(this.hi[2 * k], this.hi[2 * k + 1]);
    }
  }

  /** [min, max] of v[from..to) (to > from) into out. */
  range(from: number, to: number, out: [number, number]): void {
    const v = this.v;
    let lo = 2 ** 31 - 1;
    let hi = -(2 ** 31);
    let l = Math.ceil(from / LEAF);
    let r = Math.floor(to / LEAF);
    if (l >= r) {
      for (let i = from; i < to; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
    } else {
      // The partial leaves at either end, then whole leaves [l, r) through the tree.
      for (let i = from; i < l * LEAF; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
      for (let i = r * LEAF; i < to; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
      for (l += this.size, r += this.size; l < r; l >>= 1, r >>= 1) {
        if (l & 1) {
          if (this.lo[l] < lo) lo = this.lo[l];
          if (this.hi[l] > hi) hi = this.hi[l];
          l++;
        }
        if (r & 1) {
          r--;
          if (this.lo[r] < lo) lo = this.lo[r];
          if (this.hi[r] > hi) hi = this.hi[r];
        }
      }
    }
    out[0] = lo;
    out[1] = hi;
  }
}

/** One pyramid per step function, built the first time it is drawn (the steps never change). */
const pyramids = new WeakMap<Steps, MinMaxPyramid>();

function pyramidOf(s: Steps): MinMaxPyramid {
  let p = pyramids.get(s);
  if (!p) pyramids.set(s, (p = new MinMaxPyramid(s.v)));
  return p;
}

/** First index with a[i] >= t (from `from` on). */
function lowerBound(a: Float64Array, t: number, from = 0): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per column k of [c0, c0 + n) (column c covers [c·ns, (c + 1)·ns)): the lowest and highest
 * value of the step function in it, into lo[at + k] and hi[at + k]; NaN where nothing is drawn
 * (before the first step, from `end` on). `changes`: how many steps fall inside each column.
 */
export function stepColumns(
  s: Steps, c0: number, n: number, ns: number, end: number, lo: Float32Array, hi: Float32Array, at = 0, changes?: Float32Array,
): void {
  const t = s.t;
  const m = t.length;
  const pyramid = m > 0 ? pyramidOf(s) : undefined;
  const range: [number, number] = [0, 0];
  // Index of the first step at or after the column's start.
  let j = lowerBound(t, c0 * ns);
  for (let k = 0; k < n; k++) {
    const a = (c0 + k) * ns;
    const b = a + ns;
    if (!pyramid || b <= t[0] || a >= end) {
      lo[at + k] = NaN;
      hi[at + k] = NaN;
      if (changes) changes[at + k] = 0;
      if (pyramid && b > t[0]) j = lowerBound(t, b, j);
      continue;
    }
    // The value holding at the column's start (when a step came before it), then every step inside.
    const first = j > 0 && t[j - 1] <= a ? j - 1 : j;
    const next = t[Math.min(m - 1, j)] >= b ? j : lowerBound(t, b, j);
    const to = Math.max(next, first + 1);
    pyramid.range(first, Math.min(m, to), range);
    lo[at + k] = range[0];
    hi[at + k] = range[1];
    if (changes) changes[at + k] = next - j;
    j = next;
  }
}

/**
 * Per column k of [c0, c0 + n): the highest value of samples whose window (ts[i − 1], ts[i]]
 * (the first: firstNs before ts[0]) touches the column, into out[at + k]; 0 where none does.
 */
export function sampleColumns(
  ts: ArrayLike<number>, count: number, value: (i: number) => number, firstNs: number,
  c0: number, n: number, ns: number, out: Float32Array, at = 0,
): void {
  out.fill(0, at, at + n);
  const a = c0 * ns;
  const b = (c0 + n) * ns;
  // First sample whose window ends after the first column's start.
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= a) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < count; i++) {
    const to = ts[i];
    const from = i > 0 ? ts[i - 1] : to - firstNs;
    if (from >= b) break;
    if (!(to > from)) continue;
    const v = value(i);
    if (!(v > 0)) continue;
    const k0 = Math.max(0, Math.floor(from / ns) - c0);
    const k1 = Math.min(n, Math.ceil(to / ns) - c0);
    for (let k = k0; k < k1; k++) if (v > out[at + k]) out[at + k] = v;
  }
}

/**
 * Channels of per-column values for the columns shown, kept between frames: when the key (what
 * the values depend on, the column width among it) is unchanged, the columns the new range shares
 * with the last one are copied and only the others computed.
 */
export class ColumnCache {
  private key: readonly unknown[] = [];
  private c0 = 0;
  private n = 0;
  private channels: Float32Array[] = [];
  /** Columns computed by the last call (for tests and the benchmark). */
  computed = 0;

  columns(
    key: readonly unknown[], channels: number, c0: number, n: number,
    compute: (c0: number, n: number, into: Float32Array[], at: number) => void,
  ): Float32Array[] {
    const same = key.length === this.key.length && key.every((k, i) => Object.is(k, this.key[i])) && channels === this.channels.length;
    const out = Array.from({ length: channels }, () => new Float32Array(n));
    const from = same ? Math.max(c0, this.c0) : 0;
    const to = same ? Math.min(c0 + n, this.c0 + this.n) : 0;
    this.computed = 0;
    if (same && from < to) {
      for (let ch = 0; ch < channels; ch++) out[ch].set(this.channels[ch].subarray(from - this.c0, to - this.c0), from - c0);
      if (from > c0) compute(c0, from - c0, out, 0);
      if (to < c0 + n) compute(to, c0 + n - to, out, to - c0);
      this.computed = n - (to - from);
    } else {
      compute(c0, n, out, 0);
      this.computed = n;
    }
    this.key = key;
    this.c0 = c0;
    this.n = n;
    this.channels = out;
    return out;
  }
}
