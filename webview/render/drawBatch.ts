/**
 * Collects rectangles and triangles by fill style and alpha, then paints each
 * group with one style change (and one path for triangles): with thousands of
 * small spans a frame, style changes and fills are what cost.
 */
export class DrawBatch {
  private readonly rects = new Map<string, number[]>();
  private readonly tris = new Map<string, number[]>();

  // The last group asked for: runs of shapes of one style skip building the key.
  private lastMap: Map<string, number[]> | undefined;
  private lastColor = '';
  private lastAlpha = NaN;
  private lastList: number[] = [];

  private list(map: Map<string, number[]>, color: string, alpha: number): number[] {
    if (map === this.lastMap && color === this.lastColor && alpha === this.lastAlpha) return this.lastList;
    const key = `${alpha}|${color}`;
    let l = map.get(key);
    if (!l) map.set(key, (l = []));
    this.lastMap = map;
    this.lastColor = color;
    this.lastAlpha = alpha;
    this.lastList = l;
    return l;
  }

  rect(color: string, alpha: number, x: number, y: number, w: number, h: number): void {
    this.list(this.rects, color, alpha).push(x, y, w, h);
  }

  /** A downward triangle with its top edge centred on x. */
  marker(color: string, alpha: number, x: number, y: number): void {
    this.list(this.tris, color, alpha).push(x, y);
  }

  /** How many shapes are waiting. */
  get size(): number {
    let n = 0;
    for (const l of this.rects.values()) n += l.length / 4;
    for (const l of this.tris.values()) n += l.length / 2;
    return n;
  }

  paint(ctx: CanvasRenderingContext2D, outline: string | null): void {
    const base = ctx.globalAlpha;
    // Rectangles on whole device pixels: no partly covered edge pixels to blend, which makes
    // rasterizing thousands of thin ones about a third cheaper (and each at least a pixel wide).
    const s = ctx.getTransform().a || 1;
    for (const l of this.rects.values()) {
      for (let i = 0; i < l.length; i += 4) {
        const x0 = Math.round(l[i] * s);
        const y0 = Math.round(l[i + 1] * s);
        const x1 = Math.max(x0 + 1, Math.round((l[i] + l[i + 2]) * s));
        const y1 = Math.max(y0 + 1, Math.round((l[i + 1] + l[i + 3]) * s));
        l[i] = x0 / s;
        l[i + 1] = y0 / s;
        l[i + 2] = (x1 - x0) / s;
        l[i + 3] = (y1 - y0) / s;
      }
    }
    for (const [key, l] of this.rects) {
      const bar = key.indexOf('|');
      ctx.globalAlpha = base * Number(key.slice(0, bar));
      ctx.fillStyle = key.slice(bar + 1);
      for (let i = 0; i < l.length; i += 4) ctx.fillRect(l[i], l[i + 1], l[i + 2], l[i + 3]);
      if (outline) strokeOutlines(ctx, outline, l);
    }
    for (const [key, l] of this.tris) {
      const bar = key.indexOf('|');
      ctx.globalAlpha = base * Number(key.slice(0, bar));
      ctx.fillStyle = key.slice(bar + 1);
      if (l.length > 200) {
        // Many markers: at this density a small bar reads the same and fills much faster than a path.
        for (let i = 0; i < l.length; i += 2) ctx.fillRect(l[i] - 1, l[i + 1], 2, 5);
        continue;
      }
      ctx.beginPath();
      for (let i = 0; i < l.length; i += 2) {
        ctx.moveTo(l[i] - 3.5, l[i + 1]);
        ctx.lineTo(l[i] + 3.5, l[i + 1]);
        ctx.lineTo(l[i], l[i + 1] + 6);
        ctx.closePath();
      }
      ctx.fill();
      if (outline) {
        ctx.strokeStyle = outline;
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
    ctx.globalAlpha = base;
    this.rects.clear();
    this.tris.clear();
    this.lastMap = undefined;
  }
}

/** The outlines of rectangles at least 3 px wide, as one path (one stroke to rasterize, not one per rectangle). */
function strokeOutlines(ctx: CanvasRenderingContext2D, outline: string, l: number[]): void {
  ctx.beginPath();
  let any = false;
  for (let i = 0; i < l.length; i += 4) {
    if (l[i + 2] < 3) continue;
    ctx.rect(l[i] + 0.5, l[i + 1] + 0.5, l[i + 2] - 1, l[i + 3] - 1);
    any = true;
  }
  if (!any) return;
  ctx.strokeStyle = outline;
  ctx.lineWidth = 1;
  ctx.stroke();
}
