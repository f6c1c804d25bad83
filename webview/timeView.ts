/**
 * The visible time window: [v0, v1] (run-clock ns) inside the trace's
 * [t0, t1], mapped onto `width` CSS pixels. Pure arithmetic; zoom.ts drives it.
 */
export const MIN_SPAN_NS = 1000;

export class TimeView {
  t0 = 0;
  t1 = 1;
  v0 = 0;
  v1 = 1;
  width = 1;

  x(t: number): number {
    return ((t - this.v0) / (this.v1 - this.v0)) * this.width;
  }

  t(x: number): number {
    return this.v0 + (x / this.width) * (this.v1 - this.v0);
  }

  /** ns per CSS pixel. */
  get nsPerPx(): number {
    return (this.v1 - this.v0) / this.width;
  }

  get full(): boolean {
    return this.v0 <= this.t0 && this.v1 >= this.t1;
  }

  /** Sets the visible window, kept inside the trace and no narrower than MIN_SPAN_NS. */
  show(v0: number, v1: number): void {
    const total = Math.max(this.t1 - this.t0, MIN_SPAN_NS);
    let span = Math.min(Math.max(v1 - v0, MIN_SPAN_NS), total);
    if (!Number.isFinite(span)) span = total;
    let a = Number.isFinite(v0) ? v0 : this.t0;
    a = Math.min(Math.max(a, this.t0), this.t0 + total - span);
    this.v0 = a;
    this.v1 = a + span;
  }

  /**
   * The trace grew (live) or was replaced: keep a full view full, keep a view that
   * showed the end following the end, leave any other view where it is.
   */
  setDomain(t0: number, t1: number): void {
    const wasFull = this.full;
    const atEnd = this.v1 >= this.t1 - (this.v1 - this.v0) * 0.01;
    const span = this.v1 - this.v0;
    this.t0 = t0;
    this.t1 = Math.max(t1, t0 + MIN_SPAN_NS);
    if (wasFull) this.show(this.t0, this.t1);
    else if (atEnd) this.show(this.t1 - span, this.t1);
    else this.show(this.v0, this.v1);
  }
}
