/**
 * The bottom panel's charts as pixels (pixelImage.ts): per device pixel column, the program's
 * cores used (a bar to the highest sample touching the column), threads wanting CPU (a line
 * through the lowest and highest value in the column: every change shows, however many a
 * column holds), each core's load (this program's share below the rest), and the threads seen
 * on each core (ticks). The per-column values come from cpuColumns.ts and are kept between
 * frames at one zoom level (a pan computes only the columns it uncovers).
 */
import { ColumnCache, sampleColumns, stepColumns } from '../data/cpuColumns';
import { blend, threadColor } from '../theme';
import type { Frame } from './frame';
import { pixelWord, type PixelImage } from './pixelImage';

/** What a process's first sample stands for (the sampler's interval before it). */
const FIRST_NS = 50e6;

const cache = new ColumnCache();
/** Channels before the cores': used, want low, want high, want changes. */
const CORE_CH = 4;

/** Channels of the program chart and the cores, per device column of the view. */
export interface BottomColumns {
  /** Column width (ns) and the first column's index on the grid (column c covers [c·ns, (c + 1)·ns)). */
  ns: number;
  c0: number;
  used: Float32Array;
  wantLo: Float32Array;
  wantHi: Float32Array;
  /** Changes of threads wanting CPU inside each column. */
  wantChanges: Float32Array;
  /** Per core: its load (0–1) and this program's share of it. */
  coreUtil: Float32Array[];
  coreMine: Float32Array[];
  /** Columns computed for this frame (the others came from the last frame's). */
  computed: number;
}

/** The device columns of this frame: computed, or shifted from the last frame at the same zoom. */
export function bottomColumns(f: Frame, devicePx: number, scale: number): BottomColumns | undefined {
  const cpu = f.cpu;
  if (!cpu) return undefined;
  const { view, data, store } = f;
  // Rounded so that a pan (same span, new start) keeps the same grid despite float noise.
  const ns = Number((view.nsPerPx / scale).toPrecision(12));
  if (!(ns > 0)) return undefined;
  const c0 = Math.floor(view.v0 / ns);
  const cores = data.coreSamples.length;
  const openEnd = f.openEnd;
  const key = [cpu, data, store.length, ns, openEnd, cores];
  const ch = cache.columns(key, CORE_CH + 2 * cores, c0, devicePx, (from, n, into, at) => {
    sampleColumns(cpu.program.t, cpu.program.t.length, (i) => cpu.program.v[i], FIRST_NS, from, n, ns, into[0], at);
    stepColumns(cpu.want, from, n, ns, openEnd, into[1], into[2], at, into[3]);
    for (let c = 0; c < cores; c++) {
      const list = data.coreSamples[c];
      const share = cpu.coreShare[c];
      const util = (i: number): number => Math.min(1, Math.max(0, store.a[list.rows[i]] / 100));
      sampleColumns(list.ts, list.n, util, FIRST_NS, from, n, ns, into[CORE_CH + 2 * c], at);
      sampleColumns(list.ts, list.n, (i) => Math.min(1, util(i), share ? share[i] : 0), FIRST_NS, from, n, ns, into[CORE_CH + 1 + 2 * c], at);
    }
  });
  return {
    ns, c0, used: ch[0], wantLo: ch[1], wantHi: ch[2], wantChanges: ch[3],
    coreUtil: Array.from({ length: cores }, (_, c) => ch[CORE_CH + 2 * c]),
    coreMine: Array.from({ length: cores }, (_, c) => ch[CORE_CH + 1 + 2 * c]),
    computed: cache.computed,
  };
}

/** Cores used (area from the bottom) and threads wanting CPU (a line) in [y, y + h) CSS px, `scale` at the top. */
export function paintProgramChart(p: PixelImage, f: Frame, cols: BottomColumns, y: number, h: number, scale: number): void {
  const { palette } = f;
  const area = pixelWord(blend(palette.background, palette.category.running, 0.55));
  const line = pixelWord(palette.foreground);
  // Where the count flickers within a column (many changes), its range is shaded between its
  // lowest and highest value drawn as lines: how high it went stays visible, not a solid block.
  const range = pixelWord(blend(palette.background, palette.foreground, 0.3));
  const yOf = (v: number): number => y + h - (Math.min(scale, Math.max(0, v)) / scale) * h;
  const base = p.row(y + h);
  const lineW = Math.max(1, Math.round(1.5 * p.scale));
  for (let x = 0; x < cols.used.length; x++) {
    const u = cols.used[x];
    if (u > 0) p.column(x, p.row(yOf(u)), base, area);
  }
  for (let x = 0; x < cols.wantLo.length; x++) {
    const lo = cols.wantLo[x];
    if (Number.isNaN(lo)) continue;
    // From the highest value's row to the lowest's: a step inside the column is its vertical.
    const top = p.row(yOf(cols.wantHi[x]));
    const bottom = p.row(yOf(lo));
    if (cols.wantChanges[x] <= 2 || bottom - top <= 2 * lineW) p.column(x, top, bottom + lineW, line);
    else {
      p.column(x, top, top + lineW, line);
      p.column(x, top + lineW, bottom, range);
      p.column(x, bottom, bottom + lineW, line);
    }
  }
}

/** Each core's load: this program's share at the bottom, the rest of the machine's above it. */
export function paintCoreShares(p: PixelImage, f: Frame, cols: BottomColumns, y: number, rowH: number): void {
  const { palette } = f;
  const mine = pixelWord(blend(palette.background, palette.category.running, 0.75));
  const other = pixelWord(blend(palette.background, palette.muted, 0.45));
  const back = pixelWord(blend(palette.background, palette.muted, 0.08));
  const h = rowH - 1;
  for (let c = 0; c < cols.coreUtil.length; c++) {
    const top = y + c * rowH;
    p.rect(0, top, f.view.width, h, back);
    const util = cols.coreUtil[c];
    const me = cols.coreMine[c];
    const bottom = p.row(top + h);
    for (let x = 0; x < util.length; x++) {
      const u = util[x];
      if (!(u > 0)) continue;
      const m = Math.min(u, me[x]);
      const split = p.row(top + h - m * h);
      if (m > 0) p.column(x, split, bottom, mine);
      if (u > m) p.column(x, p.row(top + h - u * h), split, other);
    }
  }
}

/** A tick per sample at the core each thread was last seen on; threads seen on one core at once share its row. */
export function paintSightings(p: PixelImage, f: Frame, y: number, rowH: number): void {
  const { view, data, palette } = f;
  // Opacity in quarters over the panel's background: a few colours per thread colour, looked up.
  const words = new Map<number, number>();
  const word = (thread: number, q: number): number => {
    const key = (thread % palette.series.length) * 4 + q;
    let w = words.get(key);
    if (w === undefined) words.set(key, (w = pixelWord(blend(palette.background, threadColor(palette, thread), 0.4 + 0.2 * q))));
    return w;
  };
  for (let c = 0; c < data.coreSightings.length; c++) {
    const s = data.coreSightings[c];
    const top = y + c * rowH;
    let i = s.lowerBound(view.v0);
    while (i < s.n && s.ts[i] <= view.v1) {
      // One sampling round: sightings a few ms apart.
      let j = i + 1;
      while (j < s.n && s.ts[j] - s.ts[j - 1] < 10e6) j++;
      const x = view.x(s.ts[i]);
      const k = j - i;
      const h = Math.max(1, (rowH - 1) / k);
      for (let m = i; m < j; m++) {
        p.rect(x - 1, top + (m - i) * h, 3, h, word(s.thread[m], Math.round(3 * Math.min(1, Math.max(0, s.cpu[m] / 100))) || 0));
      }
      // Ticks closer than 3 px: the next round that is visibly apart.
      const next = s.lowerBound(view.t(x + 3));
      i = Math.max(j, next);
    }
  }
}
