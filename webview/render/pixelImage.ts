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

/** Whether a colour may be see-through (pixel words are opaque: such colours are drawn as shapes). */
export function maybeTranslucent(css: string): boolean {
  return /rgba|hsla|transparent|\/|^#([0-9a-f]{4}|[0-9a-f]{8})$/i.test(css.trim());
}

/**
 * One row of device pixels, painted in memory and drawn stretched over a band of a canvas: a
 * band made of hundreds of one-pixel columns costs one image draw instead of a rectangle each.
 */
export class PixelStrip {
  private canvas: HTMLCanvasElement | undefined;
  private ctx: CanvasRenderingContext2D | null = null;
  private image: ImageData | undefined;
  private px = new Uint32Array(0);
  scale = 1;

  /** Starts a strip `width` device pixels wide, all transparent; false when no canvas is available. */
  begin(width: number, scale: number): boolean {
    if (!this.canvas) {
      this.canvas = document.createElement('canvas');
      this.canvas.height = 1;
    }
    if (!this.image || this.image.width !== width) {
      this.canvas.width = width;
      this.ctx = this.canvas.getContext('2d');
      if (!this.ctx) return false;
      this.image = this.ctx.createImageData(width, 1);
      this.px = new Uint32Array(this.image.data.buffer, this.image.data.byteOffset, width);
    }
    this.scale = scale;
    this.px.fill(0);
    return !!this.ctx;
  }

  /** Fills CSS pixels [x0, x1) (rounded to device pixels, at least one). */
  fill(x0: number, x1: number, word: number): void {
    const s = this.scale;
    // Rounded as DrawBatch rounds a rectangle, then clipped (a bar left of the strip paints nothing).
    const a = Math.round(x0 * s);
    const b = Math.max(a + 1, Math.round(x1 * s));
    if (b > 0 && a < this.px.length) this.px.fill(word, Math.max(0, a), Math.min(this.px.length, b));
  }

  /** Draws the strip over [0, width) × [y, y + h) CSS pixels of `ctx` (its transform and alpha apply). */
  draw(ctx: CanvasRenderingContext2D, y: number, h: number): void {
    if (!this.ctx || !this.canvas || !this.image) return;
    this.ctx.putImageData(this.image, 0, 0);
    const smooth = ctx.imageSmoothingEnabled;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.canvas, 0, 0, this.image.width, 1, 0, y, this.image.width / this.scale, h);
    ctx.imageSmoothingEnabled = smooth;
  }
}
