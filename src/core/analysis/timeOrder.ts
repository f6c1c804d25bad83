/**
 * The store's events as one stream in time order, incrementally. A span is
 * two points (its begin at ts, its end at end); a point event is one. The
 * store receives rows per process in batches and span ends later, so points
 * are held until the watermark (the newest time seen minus a lag) passes
 * them; `final` releases everything. A point that arrives after the stream
 * has moved past its time is delivered at once and counted as late.
 *
 * Codes: row * 4 + phase, phase 0 = end of a span that lasted, 1 = begin (or
 * a point), 2 = end of a zero-length span (after its begin at the same time).
 * At equal times ends come first: a lock is released before it is taken again.
 */
import { kindInfo } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';

export const END = 0;
export const BEGIN = 1;
export const END_ZERO = 2;

export class TimeOrder {
  private nextRow = 0;
  private nextUpdate = 0;
  /** Points not delivered yet, sorted; and points gathered since, not sorted yet. */
  private pending: number[] = [];
  private fresh: number[] = [];
  /** Rows whose end point was queued (a span is closed once; guard against a second update). */
  private endQueued = new Uint8Array(1024);
  private isSpan = new Uint8Array(0);
  /** Newest time seen in any row (ts or end). */
  newest = -Infinity;
  /** Time of the last delivered point. */
  position = -Infinity;
  /** Points delivered after the stream had passed their time. */
  late = 0;

  /** Told about each row as it enters the stream (before it is delivered). */
  onRow: ((row: number) => void) | undefined;

  constructor(private readonly store: TraceStore) {
    const spans: number[] = [];
    for (let k = 0; k < 256; k++) spans.push(kindInfo(k)?.span ? 1 : 0);
    this.isSpan = Uint8Array.from(spans);
  }

  private markEnd(row: number): boolean {
    if (row >= this.endQueued.length) {
      let n = this.endQueued.length;
      while (n <= row) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.endQueued);
      this.endQueued = next;
    }
    if (this.endQueued[row]) return false;
    this.endQueued[row] = 1;
    return true;
  }

  /** Takes the rows and span ends added since the last call into `fresh` (unsorted). */
  private gather(): void {
    const s = this.store;
    const { ts, end, kind } = s;
    const pending = this.fresh;
    let newest = this.newest;
    const updated = s.updatedRows;
    for (let u = this.nextUpdate; u < updated.length; u++) {
      const row = updated[u];
      if (row >= this.nextRow) continue; // not taken yet: its end is read with it below
      const e = end[row];
      if (Number.isNaN(e) || !this.markEnd(row)) continue;
      pending.push(row * 4 + (e === ts[row] ? END_ZERO : END));
      if (e > newest) newest = e;
    }
    this.nextUpdate = updated.length;
    const n = s.length;
    const onRow = this.onRow;
    for (let row = this.nextRow; row < n; row++) {
      if (onRow) onRow(row);
      const t = ts[row];
      if (t > newest) newest = t;
      pending.push(row * 4 + BEGIN);
      const k = kind[row];
      if (k < 256 && this.isSpan[k] === 1) {
        const e = end[row];
        if (!Number.isNaN(e) && this.markEnd(row)) {
          pending.push(row * 4 + (e === t ? END_ZERO : END));
          if (e > newest) newest = e;
        }
      }
    }
    this.nextRow = n;
    this.newest = newest;
  }

  timeOf(code: number): number {
    const row = code >>> 2;
    return (code & 3) === BEGIN ? this.store.ts[row] : this.store.end[row];
  }

  /**
   * Delivers, in time order, every pending point at or before `upTo`
   * (Infinity: all of them). Returns how many were delivered.
   */
  drain(upTo: number, visit: (row: number, phase: number, time: number) => void): number {
    this.gather();
    const { ts, end } = this.store;
    const time = (c: number): number => ((c & 3) === BEGIN ? ts[c >>> 2] : end[c >>> 2]);
    const before = (x: number, y: number): number => time(x) - time(y) || (x & 3) - (y & 3) || x - y;
    const fresh = this.fresh.sort(before);
    this.fresh = [];
    // The points held back last time are sorted already: merge rather than sort them again.
    const pending = this.pending.length === 0 ? fresh : merge(this.pending, fresh, before);
    let i = 0;
    for (; i < pending.length; i++) {
      const c = pending[i];
      const t = time(c);
      if (t > upTo) break;
      if (t < this.position) this.late++;
      else this.position = t;
      visit(c >>> 2, c & 3, t);
    }
    this.pending = i === pending.length ? [] : pending.slice(i);
    return i;
  }

  /** Rows taken so far (the store's length at the last gather). */
  get rowsSeen(): number {
    return this.nextRow;
  }
}

function merge(a: number[], b: number[], before: (x: number, y: number) => number): number[] {
  if (b.length === 0) return a;
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = before(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}
