/**
 * Horizontal zoom and pan with d3-zoom: Ctrl/⌘ + wheel (and trackpad pinch)
 * zooms at the pointer, dragging pans, double-click zooms in; plain wheel is
 * left to scroll the lanes vertically and Shift + wheel (or a sideways wheel)
 * pans. The d3 transform is kept in step with the TimeView, which is the truth.
 */
import { scaleLinear, select, zoom as d3zoom, zoomIdentity, type D3ZoomEvent, type Selection, type ZoomBehavior } from 'd3';
import { MIN_SPAN_NS, type TimeView } from '../timeView';

export interface PlotBox {
  /** Left edge of the plot (time axis) inside the zoom element, and its width. */
  left: number;
  width: number;
  height: number;
}

export class ZoomController {
  private readonly behavior: ZoomBehavior<HTMLElement, unknown>;
  private readonly selection: Selection<HTMLElement, unknown, null, undefined>;
  private syncing = false;

  constructor(private readonly el: HTMLElement, private readonly view: TimeView, private readonly box: () => PlotBox, private readonly onChange: () => void) {
    this.behavior = d3zoom<HTMLElement, unknown>()
      .filter((e: Event) => {
        if (e.type === 'wheel') return (e as WheelEvent).ctrlKey || (e as WheelEvent).metaKey;
        const m = e as MouseEvent;
        const target = e.target as Element | null;
        return !m.shiftKey && !m.button && !m.ctrlKey && !target?.closest('.no-pan');
      })
      .wheelDelta((e: WheelEvent) => -e.deltaY * (e.deltaMode === 1 ? 0.05 : e.deltaMode ? 1 : 0.002))
      .on('zoom', (e: D3ZoomEvent<HTMLElement, unknown>) => {
        if (this.syncing) return;
        const dom = e.transform.rescaleX(this.baseScale()).domain();
        this.view.show(dom[0], dom[1]);
        this.onChange();
      });
    this.selection = select(el);
    this.selection.call(this.behavior);
    el.addEventListener('wheel', (e) => this.sideways(e), { passive: false });
    this.sync();
  }

  private baseScale() {
    const b = this.box();
    return scaleLinear().domain([this.view.t0, this.view.t1]).range([b.left, b.left + b.width]);
  }

  /** Shift + wheel, or a horizontal trackpad swipe: pan. */
  private sideways(e: WheelEvent): void {
    if (e.ctrlKey || e.metaKey) return;
    const dx = e.shiftKey && Math.abs(e.deltaX) < Math.abs(e.deltaY) ? e.deltaY : e.deltaX;
    if (Math.abs(dx) <= Math.abs(e.deltaY) && !e.shiftKey) return;
    e.preventDefault();
    this.panBy((e.deltaMode === 1 ? 20 : 1) * dx);
  }

  /** Re-applies extents and the transform after the view, the domain or the size changed. */
  sync(): void {
    const b = this.box();
    const v = this.view;
    const total = Math.max(v.t1 - v.t0, MIN_SPAN_NS);
    const k = total / (v.v1 - v.v0);
    const base = this.baseScale();
    this.behavior
      .extent([[b.left, 0], [b.left + b.width, Math.max(1, b.height)]])
      .translateExtent([[b.left, -1e7], [b.left + b.width, 1e7]])
      .scaleExtent([1, Math.max(1, total / MIN_SPAN_NS)]);
    const t = zoomIdentity.translate(b.left - k * base(v.v0), 0).scale(k);
    this.syncing = true;
    try {
      this.behavior.transform(this.selection, t);
    } finally {
      this.syncing = false;
    }
  }

  /** Zooms by a factor (> 1 zooms in) around a plot x (default: the middle). */
  zoomBy(factor: number, atX?: number): void {
    const v = this.view;
    const at = v.t(atX ?? v.width / 2);
    v.show(at - (at - v.v0) / factor, at + (v.v1 - at) / factor);
    this.changed();
  }

  panBy(px: number): void {
    const v = this.view;
    const dt = px * v.nsPerPx;
    v.show(v.v0 + dt, v.v1 + dt);
    this.changed();
  }

  zoomTo(t0: number, t1: number): void {
    this.view.show(Math.min(t0, t1), Math.max(t0, t1));
    this.changed();
  }

  /** What "fit" shows, when it is not the whole trace (set by the app). */
  fitRange: (() => [number, number] | undefined) | undefined;

  fit(): void {
    const r = this.fitRange?.();
    if (r) this.view.show(r[0], r[1]);
    else this.view.show(this.view.t0, this.view.t1);
    this.changed();
  }

  private changed(): void {
    this.sync();
    this.onChange();
  }

  get element(): HTMLElement {
    return this.el;
  }

  get plotWidth(): number {
    return this.view.width;
  }
}
