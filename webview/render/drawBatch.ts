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
    for (const [key, l] of this.rects) {
      const bar = key.indexOf('|');
      ctx.globalAlpha = base * Number(key.slice(0, bar));
      ctx.fillStyle = key.slice(bar + 1);
      for (let i = 0; i < l.length; i += 4) ctx.fillRect(l[i], l[i + 1], l[i + 2], l[i + 3]);
      if (outline) {
        ctx.strokeStyle = outline;
        ctx.lineWidth = 1;
        for (let i = 0; i < l.length; i += 4) if (l[i + 2] >= 3) ctx.strokeRect(l[i] + 0.5, l[i + 1] + 0.5, l[i + 2] - 1, l[i + 3] - 1);
      }
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
