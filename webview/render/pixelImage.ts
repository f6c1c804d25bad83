/**
 * A canvas's pixels painted directly and put in one call: thousands of one-pixel bars drawn as
 * fillRect calls cost more to rasterize than to compute (CPU raster, a display-list entry each);
 * written into an ImageData they cost one copy. Coordinates are CSS pixels, scaled by the
 * canvas's device pixel ratio and rounded to whole device pixels.
 */
import { parseColor } from '../theme';

/** A colour as the 32-bit word of an opaque RGBA pixel (little-endian: R in the lowest byte). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const words = new Map<string, number>();
let probe: CanvasRenderingContext2D | null | undefined;

/** An opaque colour's pixel word (colours in formats parseColor does not read: through a 1×1 canvas). */
export function pixelWord(css: string): number {
  let w = words.get(css);
  if (w !== undefined) return w;
  let rgb = parseColor(css);
  if (!rgb) {
    if (probe === undefined) probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    if (probe) {
      probe.clearRect(0, 0, 1, 1);
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const d = probe.getImageData(0, 0, 1, 1).data;
      rgb = [d[0], d[1], d[2]];
    } else rgb = [128, 128, 128];
  }
  const [r, g, b] = rgb.map((c) => Math.max(0, Math.min(255, Math.round(c))));
  w = LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
  if (words.size > 4000) words.clear();
  words.set(css, w);
  return w;
}

export class PixelImage {
  readonly px: Uint32Array;
  /** Device pixels per CSS pixel. */
  readonly scale: number;

  constructor(readonly image: ImageData, scale: number) {
    this.px = new Uint32Array(image.data.buffer, image.data.byteOffset, image.width * image.height);
    this.scale = scale;
  }

  get width(): number {
    return this.image.width;
  }

  get height(): number {
    return this.image.height;
  }

  /** Device row of a CSS y. */
  row(y: number): number {
    return Math.round(y * this.scale);
  }

  /** Fills device pixels [x0, x1) × [y0, y1) (clipped). */
  fillDevice(x0: number, y0: number, x1: number, y1: number, word: number): void {
    const w = this.image.width;
    x0 = Math.max(0, x0);
    y0 = Math.max(0, y0);
    x1 = Math.min(w, x1);
    y1 = Math.min(this.image.height, y1);
    if (x1 <= x0) return;
    for (let y = y0; y < y1; y++) this.px.fill(word, y * w + x0, y * w + x1);
  }

  /** A one-device-pixel-wide bar [y0, y1) at device column x. */
  column(x: number, y0: number, y1: number, word: number): void {
    const w = this.image.width;
    if (x < 0 || x >= w) return;
    y0 = Math.max(0, y0);
    y1 = Math.min(this.image.height, y1);
    for (let i = y0 * w + x, end = y1 * w + x; i < end; i += w) this.px[i] = word;
  }

  /** A rectangle in CSS pixels, at least one device pixel wide and high. */
  rect(x: number, y: number, w: number, h: number, word: number): void {
    const s = this.scale;
    const x0 = Math.round(x * s);
    const y0 = Math.round(y * s);
    this.fillDevice(x0, y0, Math.max(x0 + 1, Math.round((x + w) * s)), Math.max(y0 + 1, Math.round((y + h) * s)), word);
  }
}

/** The ImageData of the last call, reused while the canvas keeps its size. */
let last: { canvas: HTMLCanvasElement; image: ImageData } | undefined;

/** A PixelImage the size of the context's canvas (its content not cleared: paint all of it). */
export function pixelImageFor(ctx: CanvasRenderingContext2D, scale: number): PixelImage {
  const { canvas } = ctx;
  if (!last || last.canvas !== canvas || last.image.width !== canvas.width || last.image.height !== canvas.height) {
    last = { canvas, image: ctx.createImageData(canvas.width, canvas.height) };
  }
  return new PixelImage(last.image, scale);
}

/** Puts the pixels on the canvas (device pixels, whatever the context's transform). */
export function putPixels(ctx: CanvasRenderingContext2D, p: PixelImage): void {
  ctx.putImageData(p.image, 0, 0);
}
