/**
 * Mouse on the timeline: hover (tooltip, cursor line and time readout),
 * click (select an event), Shift + drag (zoom to the dragged range).
 */
import { hitBottom, hitLanes, type Hit } from '../hitTest';
import type { BottomLayout } from '../render/bottomRenderer';
import type { Frame } from '../render/frame';

export interface PointerTarget {
  frame(): Frame;
  bottom(): BottomLayout;
  hover(hit: Hit | undefined, e: MouseEvent): void;
  /** Cursor at plot x (undefined: left the plot). */
  cursor(x: number | undefined): void;
  select(hit: Hit | undefined): void;
  zoomTo(t0: number, t1: number): void;
}

export interface PointerElements {
  timeline: HTMLElement;
  lanesCanvas: HTMLCanvasElement;
  bottomCanvas: HTMLCanvasElement;
  lanesScroll: HTMLElement;
  brush: HTMLElement;
}

export function bindPointer(els: PointerElements, target: PointerTarget): { lastX: () => number | undefined } {
  let lastX: number | undefined;
  const plotX = (e: MouseEvent, canvas: HTMLCanvasElement): number => e.clientX - canvas.getBoundingClientRect().left;
  const laneHit = (e: MouseEvent): Hit | undefined => {
    const r = els.lanesCanvas.getBoundingClientRect();
    return hitLanes(target.frame(), e.clientX - r.left, e.clientY - r.top + els.lanesScroll.scrollTop);
  };
  const bottomHit = (e: MouseEvent): Hit | undefined => {
    const r = els.bottomCanvas.getBoundingClientRect();
    return hitBottom(target.frame(), target.bottom(), e.clientX - r.left, e.clientY - r.top);
  };

  els.timeline.addEventListener('mousemove', (e) => {
    const r = els.lanesCanvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    lastX = x >= 0 && x <= r.width ? x : undefined;
    target.cursor(lastX);
  });
  els.timeline.addEventListener('mouseleave', () => {
    lastX = undefined;
    target.cursor(undefined);
    target.hover(undefined, new MouseEvent('mousemove'));
  });
  els.lanesCanvas.addEventListener('mousemove', (e) => target.hover(laneHit(e), e));
  els.bottomCanvas.addEventListener('mousemove', (e) => target.hover(bottomHit(e), e));
  els.lanesCanvas.addEventListener('mouseleave', (e) => target.hover(undefined, e));
  els.bottomCanvas.addEventListener('mouseleave', (e) => target.hover(undefined, e));
  els.lanesCanvas.addEventListener('click', (e) => {
    if (!e.shiftKey) target.select(laneHit(e));
  });
  els.bottomCanvas.addEventListener('click', (e) => {
    const hit = bottomHit(e);
    if (hit?.type === 'stdout') target.select(hit);
  });

  // Shift + drag: zoom to the range.
  for (const canvas of [els.lanesCanvas, els.bottomCanvas]) {
    canvas.addEventListener('mousedown', (e) => {
      if (!e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      const startX = plotX(e, canvas);
      const tl = els.timeline.getBoundingClientRect();
      const offset = canvas.getBoundingClientRect().left - tl.left;
      const show = (x: number): void => {
        const a = Math.min(startX, x);
        const b = Math.max(startX, x);
        els.brush.hidden = false;
        els.brush.style.left = `${offset + a}px`;
        els.brush.style.width = `${b - a}px`;
      };
      show(startX);
      const move = (m: MouseEvent): void => show(plotX(m, canvas));
      const up = (m: MouseEvent): void => {
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
        els.brush.hidden = true;
        const x = plotX(m, canvas);
        if (Math.abs(x - startX) < 3) return;
        const v = target.frame().view;
        target.zoomTo(v.t(Math.min(x, startX)), v.t(Math.max(x, startX)));
      };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    });
  }
  return { lastX: () => lastX };
}
