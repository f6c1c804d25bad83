/**
 * Perfetto's keys: W / S zoom in / out, A / D pan, held keys move smoothly
 * (one step per animation frame, scaled by the frame's duration). Also
 * 0 or F: fit the whole trace; Escape: clear the selection.
 */
import type { ZoomController } from './zoom';

const ZOOM_PER_S = 4; // ×4 per second held
const PAN_PER_S = 0.8; // 80 % of the view per second

export function bindKeys(target: HTMLElement, zoom: ZoomController, cursorX: () => number | undefined, onEscape: () => void): void {
  const held = new Set<string>();
  let last = 0;
  let frame = 0;
  const step = (now: number): void => {
    const dt = Math.min(0.05, last ? (now - last) / 1000 : 1 / 60);
    last = now;
    let zoomDir = 0;
    let panDir = 0;
    if (held.has('w')) zoomDir++;
    if (held.has('s')) zoomDir--;
    if (held.has('d')) panDir++;
    if (held.has('a')) panDir--;
    if (zoomDir) zoom.zoomBy(ZOOM_PER_S ** (zoomDir * dt), cursorX());
    if (panDir) zoom.panBy(panDir * PAN_PER_S * dt * zoomWidth(zoom));
    frame = held.size > 0 ? requestAnimationFrame(step) : 0;
    if (!frame) last = 0;
  };
  const isTyping = (e: KeyboardEvent): boolean => {
    const el = e.composedPath()[0] as HTMLElement | undefined;
    return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
  };
  target.addEventListener('keydown', (e) => {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === 'w' || k === 'a' || k === 's' || k === 'd') {
      e.preventDefault();
      if (!held.has(k)) {
        held.add(k);
        // A tap moves at least one visible step even if the key is up before the next frame.
        if (k === 'w' || k === 's') zoom.zoomBy(k === 'w' ? 1.15 : 1 / 1.15, cursorX());
        else zoom.panBy((k === 'd' ? 1 : -1) * 0.05 * zoomWidth(zoom));
      }
      if (!frame) frame = requestAnimationFrame(step);
    } else if (k === '0' || k === 'f') {
      e.preventDefault();
      zoom.fit();
    } else if (k === 'escape') onEscape();
  });
  target.addEventListener('keyup', (e) => held.delete(e.key.toLowerCase()));
  window.addEventListener('blur', () => held.clear());
}

function zoomWidth(zoom: ZoomController): number {
  return zoom.plotWidth;
}
