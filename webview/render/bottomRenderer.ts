/**
 * The panel under the lanes, on the same time axis:
 * - stdout / stderr writes;
 * - the program's CPU: cores used (area) against threads wanting CPU (line),
 *   with each stretch labelled in words ("4 threads want CPU · 1.0 cores
 *   used"), the GIL lesson without a tooltip;
 * - CPU per core: this program's share and the rest of the machine's load;
 * - threads on cores: the core /proc last saw each thread on, at each sample
 *   (a tick, not a bar: where it ran in between is not known).
 */
import { ColumnCache, sampleColumns, stepColumns } from '../data/cpuColumns';
import { phases, meanOver, type Samples, type Steps } from '../data/cpuModel';
import { blend, withAlpha } from '../theme';
import { bottomColumns, paintCoreShares, paintProgramChart, paintSightings } from './bottomPixels';
import { fitText, type Frame } from './frame';
import { pixelImageFor, pixelWord, putPixels, type PixelImage } from './pixelImage';

export const STDOUT_H = 26;
export const PROGRAM_H = 48;
/** Words of a CPU chart go in a band above it, so they never hide what they describe. */
const WORDS_H = 13;

export interface BottomLayout {
  stdoutY: number;
  programY: number;
  coresY: number;
  coreRowH: number;
  seenY: number;
  seenRowH: number;
  height: number;
  cores: number;
}

export function bottomLayout(cores: number): BottomLayout {
  const coreRowH = cores > 0 ? Math.max(5, Math.min(16, Math.floor(64 / cores))) : 0;
  const seenRowH = cores > 0 ? Math.max(3, Math.min(12, Math.floor(48 / cores))) : 0;
  const stdoutY = 0;
  const programY = STDOUT_H;
  const coresY = programY + (cores > 0 ? PROGRAM_H : 0);
  // Each block is at least two label lines high.
  const coresH = cores > 0 ? Math.max(30, cores * coreRowH + 4) : 0;
  const seenY = coresY + coresH;
  const seenH = cores > 0 ? Math.max(30, cores * seenRowH + 4) : 0;
  return { stdoutY, programY, coresY, coreRowH, seenY, seenRowH, height: seenY + seenH, cores };
}

export function drawBottom(ctx: CanvasRenderingContext2D, f: Frame, b: BottomLayout): void {
  const { view, palette } = f;
  // Bars, lines and ticks as pixels, put at once; then the words (and the dashed cores line) on top.
  const scale = ctx.getTransform().a || 1;
  const p = pixelImageFor(ctx, scale);
  p.px.fill(pixelWord(palette.background));
  const border = pixelWord(palette.border);
  p.rect(0, 0, view.width, 1, border);
  const texts = stdoutBars(p, f, b.stdoutY + 2, STDOUT_H - 4);
  const cols = b.cores > 0 ? bottomColumns(f, p.width, scale) : undefined;
  const cpu = f.cpu;
  const chartScale = cpu ? Math.max(cpu.cores, cpu.want.max, Math.ceil(cpu.program.max)) : 1;
  const chartY = b.programY + 3 + WORDS_H;
  const chartH = PROGRAM_H - 6 - WORDS_H;
  if (cpu && cols) {
    for (const y of [b.programY, b.coresY, b.seenY]) p.rect(0, y, view.width, 1, border);
    paintProgramChart(p, f, cols, chartY, chartH, chartScale);
    paintCoreShares(p, f, cols, b.coresY + 2, b.coreRowH);
    paintSightings(p, f, b.seenY + 2, b.seenRowH);
  }
  putPixels(ctx, p);
  stdoutTexts(ctx, f, texts, b.stdoutY + 2, STDOUT_H - 4);
  if (!cpu || !cols) return;
  if (chartScale > cpu.cores) coresLine(ctx, f, chartY, chartH, chartScale, cpu.cores);
  drawPhaseWords(ctx, f, cpu.program, cpu.want, cpu.wantProcesses, b.programY + 3 + WORDS_H / 2, true, undefined);
}

interface StdoutText {
  row: number;
  x: number;
  room: number;
  stderr: boolean;
}

/** Stdout and stderr writes as bars (marks closer than 4 px merge, in the first one's colour); returns where words fit. */
function stdoutBars(p: PixelImage, f: Frame, y: number, h: number): StdoutText[] {
  const { view, palette, store, data } = f;
  const list = data.stdout;
  const pad = 4 * view.nsPerPx;
  const texts: StdoutText[] = [];
  let i = list.lowerBound(view.v0 - pad);
  let runX0 = NaN;
  let runX1 = NaN;
  let runColor = '';
  const flush = (): void => {
    if (Number.isNaN(runX0)) return;
    p.rect(runX0 - 1, y, runX1 - runX0 + 2, h, pixelWord(runColor));
    runX0 = NaN;
  };
  while (i < list.n && list.ts[i] <= view.v1 + pad) {
    const r = list.rows[i];
    const x = view.x(list.ts[i]);
    const th = store.threads[store.thread[r]];
    const stderr = (store.b[r] & 3) === 2;
    if (!Number.isNaN(runX0) && x - runX1 < 4) runX1 = x;
    else {
      flush();
      runX0 = runX1 = x;
      runColor = stderr ? palette.error : palette.series[(th?.process ?? 0) % palette.series.length];
    }
    const next = i + 1 < list.n ? view.x(list.ts[i + 1]) : view.width;
    const room = Math.min(next, view.width) - x - 6;
    if (room > 30) texts.push({ row: r, x, room, stderr });
    const j = list.lowerBound(view.t(Math.floor(x) + 1));
    i = j > i ? j : i + 1;
  }
  flush();
  return texts;
}

/** The words of the writes that have room for them. */
function stdoutTexts(ctx: CanvasRenderingContext2D, f: Frame, texts: StdoutText[], y: number, h: number): void {
  if (texts.length === 0) return;
  const { palette, store } = f;
  ctx.font = `11px ${palette.monoFont}`;
  ctx.textBaseline = 'middle';
  const charW = ctx.measureText('0123456789').width / 10 || 6.6;
  for (const t of texts) {
    const text = fitText((store.strings[store.a[t.row]] ?? '').replace(/\s+/g, ' ').trim(), t.room, charW);
    ctx.fillStyle = t.stderr ? palette.error : palette.foreground;
    ctx.fillText(text, t.x + 4, y + h / 2);
  }
}

/** The machine's cores: a dashed line across the chart. */
function coresLine(ctx: CanvasRenderingContext2D, f: Frame, y: number, h: number, scale: number, cores: number): void {
  const { view, palette } = f;
  ctx.strokeStyle = withAlpha(palette.muted, 0.8);
  ctx.setLineDash([3, 3]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  const cy = Math.round(y + h - (Math.min(scale, cores) / scale) * h) + 0.5;
  ctx.moveTo(0, cy);
  ctx.lineTo(view.width, cy);
  ctx.stroke();
  ctx.setLineDash([]);
}

/** "1.0": cores with one decimal. */
export function coresText(c: number): string {
  return Number.isFinite(c) ? c.toFixed(1) : '—';
}

/** The words of a stretch of the CPU chart. */
export function phaseText(threads: number, processes: number, cores: number, short: boolean | 'who', program: boolean): string {
  const used = Number.isFinite(cores) ? `${coresText(cores)} core${coresText(cores) === '1.0' ? '' : 's'}` : '';
  let who: string;
  if (program && processes > 1 && threads === processes) who = `${processes} processes`;
  else if (program && processes > 1) who = `${threads} threads in ${processes} processes`;
  else who = `${threads} thread${threads === 1 ? '' : 's'}`;
  if (short === 'who') return who;
  if (short) return used ? `${who} · ${used}` : who;
  const want = threads === 1 && !(program && processes > 1) ? 'wants' : 'want';
  return used ? `${who} ${want} CPU · ${used} used` : `${who} ${want} CPU`;
}

/** The columns of each process header's chart, by its threads-wanting-CPU steps. */
const chartColumns = new WeakMap<Steps, ColumnCache>();

/**
 * Cores used (area, 0 at the bottom, `scale` at the top) and threads wanting CPU (a step line),
 * a dashed line at the machine's cores, and each stretch of steady demand labelled in words.
 * Shared by the program row and the process headers.
 */
export function drawCpuChart(
  ctx: CanvasRenderingContext2D, f: Frame, used: Samples, want: Steps, wantProcs: Steps | undefined,
  y: number, h: number, scale: number, cores: number, program: boolean, pid?: number,
): void {
  const { view, palette } = f;
  const wordsY = y + WORDS_H / 2;
  y += WORDS_H;
  h -= WORDS_H;
  const yOf = (v: number): number => y + h - (Math.min(scale, Math.max(0, v)) / scale) * h;
  // Per pixel column (on a grid fixed in time): the highest sample of cores used, the lowest and
  // highest count of threads wanting CPU (exact, however many changes a column holds).
  const n = Math.ceil(view.width);
  const ns = Number(view.nsPerPx.toPrecision(12));
  if (!(ns > 0) || n <= 0) return;
  const c0 = Math.floor(view.v0 / ns);
  const dx = c0 - view.v0 / ns;
  // Kept per chart between frames at one zoom (a pan computes only the uncovered columns).
  let cache = chartColumns.get(want);
  if (!cache) chartColumns.set(want, (cache = new ColumnCache()));
  const [usedCol, lo, hi] = cache.columns([used, want, ns, f.openEnd], 3, c0, n, (from, count, into, at) => {
    sampleColumns(used.t, used.t.length, (i) => used.v[i], 50e6, from, count, ns, into[0], at);
    stepColumns(want, from, count, ns, f.openEnd, into[1], into[2], at);
  });
  // Cores used: one area (a path along the columns' tops).
  ctx.fillStyle = blend(palette.background, palette.category.running, 0.55);
  ctx.beginPath();
  columnOutline(ctx, usedCol, dx, yOf, y + h, true);
  ctx.fill();
  // The machine's cores.
  if (scale > cores) {
    ctx.strokeStyle = withAlpha(palette.muted, 0.8);
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    const cy = Math.round(yOf(cores)) + 0.5;
    ctx.moveTo(0, cy);
    ctx.lineTo(view.width, cy);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  // Threads wanting CPU: where a column holds changes, the range between its lowest and highest
  // count shaded, and both drawn as step lines (one line where they agree).
  if (want.t.length > 0) {
    ctx.fillStyle = blend(palette.background, palette.foreground, 0.3);
    ctx.beginPath();
    columnBand(ctx, lo, hi, dx, yOf);
    ctx.fill();
    ctx.strokeStyle = palette.foreground;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    columnOutline(ctx, hi, dx, (v) => Math.round(yOf(v)) + 0.5, NaN, false);
    columnOutline(ctx, lo, dx, (v) => Math.round(yOf(v)) + 0.5, NaN, false);
    ctx.stroke();
  }
  drawPhaseWords(ctx, f, used, want, wantProcs, wordsY, program, pid);
}

/**
 * Words for each steady stretch: the longest form that fits ("4 threads want CPU · 1.0 cores
 * used", "4 threads · 1.0 cores", "4 threads"), at its start after a bracket. A stretch too
 * narrow for its figure may run its words on into the next stretch when no more threads want
 * CPU there (4 threads for a moment, then 4 processes; 4 processes, then 1 thread).
 */
function drawPhaseWords(
  ctx: CanvasRenderingContext2D, f: Frame, used: Samples, want: Steps, wantProcs: Steps | undefined,
  wordsY: number, program: boolean, pid: number | undefined,
): void {
  const { view, palette } = f;
  ctx.font = `11px ${palette.font}`;
  ctx.textBaseline = 'middle';
  const minPx = 60;
  const stretches = phases(want, wantProcs, Math.max(view.v0, view.t0), Math.min(view.v1, f.openEnd), minPx * view.nsPerPx)
    .filter((p) => p.threads > 0)
    .map((p) => {
      const cores = meanOver(used, p.t0, p.t1);
      const x0 = Math.max(0, view.x(p.t0));
      const x1 = Math.min(view.width, view.x(p.t1));
      const forms = ([false, true, 'who'] as const).map((form) => {
        const text = phaseText(p.threads, p.processes, cores, form, program);
        return { text, w: textWidth(ctx, text) };
      });
      // What its own words leave free of its width (all of it when none fit).
      const own = forms.find((t) => t.w + 8 <= x1 - x0);
      return { x0, x1, threads: p.threads, forms, spare: Math.max(0, x1 - x0 - 8 - (own ? own.w : 0)) };
    });
  let cursor = -Infinity;
  stretches.forEach((p, i) => {
    const start = Math.max(p.x0 + 5, cursor);
    const next = stretches[i + 1];
    // Into the following stretch: none of it when more threads want CPU there (its start
    // matters more than these words' figure), its free room when as many, all of it when fewer
    // (its own words give way); after the last one: up to the edge.
    const room = !next || next.x0 - p.x1 > 1 || next.threads > p.threads ? 0 : next.threads === p.threads ? next.spare : next.x1 - next.x0 - 8;
    const limit = p.x1 - 3 + (next ? room : view.width - p.x1);
    const pushed = start > p.x0 + 5;
    const chosen = p.forms.find((t) => start + t.w <= (pushed ? p.x1 - 3 : limit));
    if (!chosen) return;
    // A bracket over the stretch's start, unless the words before run over it.
    if (!pushed) {
      ctx.fillStyle = withAlpha(palette.muted, 0.6);
      ctx.fillRect(p.x0 + 1, wordsY - 5, 1, 10);
    }
    ctx.fillStyle = palette.foreground;
    ctx.fillText(chosen.text, start, wordsY + 0.5);
    cursor = start + chosen.w + 10;
    f.collect?.phases?.push({ text: chosen.text, x0: p.x0, x1: p.x1, program, pid });
  });
}

/** Widths of the chart's words, measured once per font (measuring is slower than drawing). */
const widths = new Map<string, number>();

function textWidth(ctx: CanvasRenderingContext2D, text: string): number {
  const key = `${ctx.font}|${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    if (widths.size > 2000) widths.clear();
    widths.set(key, (w = ctx.measureText(text).width));
  }
  return w;
}

/**
 * Adds to the path the step outline of per-column values (column k spans [k + dx, k + 1 + dx)),
 * NaN columns leaving gaps; `base`: close each run down to this y (an area), NaN: a line.
 */
function columnOutline(
  ctx: CanvasRenderingContext2D, v: Float32Array, dx: number, yOf: (v: number) => number, base: number, area: boolean,
): void {
  let open = false;
  let lastY = NaN;
  let runX = 0;
  const close = (x: number): void => {
    if (!open) return;
    ctx.lineTo(x, lastY);
    if (area) ctx.lineTo(x, base);
    open = false;
  };
  for (let k = 0; k < v.length; k++) {
    const x = k + dx;
    const value = v[k];
    if (Number.isNaN(value) || (area && !(value > 0))) {
      close(x);
      continue;
    }
    const yv = yOf(value);
    if (!open) {
      runX = x;
      if (area) {
        ctx.moveTo(runX, base);
        ctx.lineTo(runX, yv);
      } else ctx.moveTo(runX, yv);
      open = true;
    } else if (yv !== lastY) {
      ctx.lineTo(x, lastY);
      ctx.lineTo(x, yv);
    }
    lastY = yv;
  }
  close(v.length + dx);
}

/** Adds to the path the area between per-column lows and highs (columns where they differ). */
function columnBand(ctx: CanvasRenderingContext2D, lo: Float32Array, hi: Float32Array, dx: number, yOf: (v: number) => number): void {
  for (let k = 0; k < lo.length; k++) {
    if (!(hi[k] > lo[k])) continue;
    let e = k + 1;
    while (e < lo.length && hi[e] > lo[e]) e++;
    ctx.moveTo(k + dx, yOf(hi[k]));
    for (let i = k; i < e; i++) ctx.lineTo(i + 1 + dx, yOf(hi[i]));
    for (let i = e - 1; i >= k; i--) ctx.lineTo(i + dx, yOf(lo[i]));
    ctx.closePath();
    k = e;
  }
}
