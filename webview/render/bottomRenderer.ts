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
import { phases, meanOver, type Samples, type Steps } from '../data/cpuModel';
import { blend, threadColor, withAlpha } from '../theme';
import { DrawBatch } from './drawBatch';
import { fitText, type Frame } from './frame';

const batch = new DrawBatch();

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
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, view.width, b.height);
  ctx.fillStyle = palette.border;
  ctx.fillRect(0, 0, view.width, 1);
  drawStdout(ctx, f, b.stdoutY + 2, STDOUT_H - 4);
  if (b.cores === 0 || !f.cpu) return;
  for (const y of [b.programY, b.coresY, b.seenY]) {
    ctx.fillStyle = palette.border;
    ctx.fillRect(0, y, view.width, 1);
  }
  const scale = Math.max(f.cpu.cores, f.cpu.want.max, Math.ceil(f.cpu.program.max));
  drawCpuChart(ctx, f, f.cpu.program, f.cpu.want, f.cpu.wantProcesses, b.programY + 3, PROGRAM_H - 6, scale, f.cpu.cores, true);
  drawCoreShares(ctx, f, b.coresY + 2, b.coreRowH);
  drawSightings(ctx, f, b.seenY + 2, b.seenRowH);
}

function drawStdout(ctx: CanvasRenderingContext2D, f: Frame, y: number, h: number): void {
  const { view, palette, store, data } = f;
  const list = data.stdout;
  const pad = 4 * view.nsPerPx;
  let i = list.lowerBound(view.v0 - pad);
  ctx.font = `11px ${palette.monoFont}`;
  ctx.textBaseline = 'middle';
  const charW = ctx.measureText('0123456789').width / 10 || 6.6;
  // Marks closer than 4 px merge into one bar (in the first one's colour); text only where there is room.
  let runX0 = NaN;
  let runX1 = NaN;
  let runColor = '';
  const flush = (): void => {
    if (Number.isNaN(runX0)) return;
    ctx.fillStyle = runColor;
    ctx.fillRect(runX0 - 1, y, runX1 - runX0 + 2, h);
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
    if (room > 30) {
      const text = fitText((store.strings[store.a[r]] ?? '').replace(/\s+/g, ' ').trim(), room, charW);
      ctx.fillStyle = stderr ? palette.error : palette.foreground;
      ctx.fillText(text, x + 4, y + h / 2);
    }
    const j = list.lowerBound(view.t(Math.floor(x) + 1));
    i = j > i ? j : i + 1;
  }
  flush();
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
  // Cores used: one bar per sample window, merged per pixel column (max).
  ctx.fillStyle = blend(palette.background, palette.category.running, 0.55);
  let i = Math.max(0, lowerBound(used.t, view.v0));
  let colX = -Infinity;
  let colV = 0;
  let colEnd = 0;
  const flush = (): void => {
    if (colX === -Infinity || colV <= 0) return;
    const top = yOf(colV);
    ctx.fillRect(colX, top, Math.max(1, colEnd - colX), y + h - top);
  };
  for (; i < used.t.length; i++) {
    const from = i > 0 ? used.t[i - 1] : used.t[i] - 50e6;
    if (from > view.v1) break;
    const x0 = Math.max(-1, Math.floor(view.x(from)));
    const x1 = Math.min(view.width + 1, view.x(used.t[i]));
    if (x0 <= colEnd && x0 - colX < 2) {
      colV = Math.max(colV, used.v[i]);
      colEnd = Math.max(colEnd, x1);
    } else {
      flush();
      colX = x0;
      colEnd = x1;
      colV = used.v[i];
    }
  }
  flush();
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
  // Threads wanting CPU: a step line; per pixel column its lowest and highest value (exact where
  // a column holds a few changes, the value at its middle where it holds very many).
  if (want.t.length > 0) {
    ctx.strokeStyle = palette.foreground;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    const n = want.t.length;
    const x0 = Math.max(0, Math.floor(view.x(want.t[0])));
    const xEnd = Math.min(view.width, Math.ceil(view.x(Math.min(view.v1, f.openEnd))));
    let j = Math.max(0, upperBound(want.t, view.t(x0)) - 1);
    let last = want.v[j];
    let prevY = NaN;
    // Two-pixel columns: half the path of one-pixel ones, and the line is 1.5 px wide anyway.
    for (let x = x0; x <= xEnd; x += 2) {
      const tEnd = view.t(x + 2);
      let lo = last;
      let hi = last;
      let k = j + 1;
      let count = 0;
      while (k < n && want.t[k] < tEnd && count < 16) {
        lo = Math.min(lo, want.v[k]);
        hi = Math.max(hi, want.v[k]);
        k++;
        count++;
      }
      if (count === 16) {
        // Very many changes in one pixel: jump to the column's end (searching forward from here,
        // which stays in the cache) and take the value at the column's middle.
        const m = upperBoundFrom(want.t, view.t(x + 1), k);
        k = upperBoundFrom(want.t, tEnd, m);
        const mid = want.v[m - 1];
        lo = Math.min(lo, mid);
        hi = Math.max(hi, mid);
      }
      j = k - 1;
      last = want.v[Math.max(0, j)];
      const yLo = Math.round(yOf(lo)) + 0.5;
      const yHi = Math.round(yOf(hi)) + 0.5;
      const yLast = Math.round(yOf(last)) + 0.5;
      if (Number.isNaN(prevY)) ctx.moveTo(x, yLo);
      else if (lo !== hi || yLast !== prevY) ctx.lineTo(x, prevY);
      if (lo !== hi) {
        ctx.lineTo(x, yLo);
        ctx.lineTo(x, yHi);
      }
      if (yLast !== prevY || lo !== hi) ctx.lineTo(x, yLast);
      prevY = yLast;
    }
    if (!Number.isNaN(prevY)) ctx.lineTo(xEnd, prevY);
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

/** upperBound over a[from..]: gallops forward first, so a nearby answer costs a few reads. */
function upperBoundFrom(a: Float64Array, t: number, from: number): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < a.length && a[hi] <= t) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  hi = Math.min(hi, a.length);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Each core's utilization: this program's share at the bottom, the rest of the machine's load above it. */
function drawCoreShares(ctx: CanvasRenderingContext2D, f: Frame, y: number, rowH: number): void {
  const { view, palette, store, data } = f;
  const mine = blend(palette.background, palette.category.running, 0.75);
  const other = blend(palette.background, palette.muted, 0.45);
  const h = rowH - 1;
  for (let c = 0; c < data.coreSamples.length; c++) {
    const list = data.coreSamples[c];
    const share = f.cpu?.coreShare[c];
    const top = y + c * rowH;
    ctx.fillStyle = blend(palette.background, palette.muted, 0.08);
    ctx.fillRect(0, top, view.width, h);
    // Samples narrower than 2 px merge (the busiest of them).
    let i = Math.max(0, list.lowerBound(view.v0));
    let cx0 = NaN;
    let cx1 = 0;
    let cUtil = 0;
    let cMe = 0;
    const emit = (): void => {
      if (Number.isNaN(cx0)) return;
      const rest = Math.max(0, cUtil - cMe);
      const w = Math.max(1, cx1 - cx0);
      if (cMe > 0) batch.rect(mine, 1, cx0, top + h - cMe * h, w, cMe * h);
      if (rest > 0) batch.rect(other, 1, cx0, top + h - (cMe + rest) * h, w, rest * h);
      cx0 = NaN;
    };
    for (; i < list.n; i++) {
      const from = i > 0 ? list.ts[i - 1] : list.ts[i] - 50e6;
      if (from > view.v1) break;
      const x0 = Math.max(-1, view.x(from));
      const x1 = Math.min(view.width + 1, view.x(list.ts[i]));
      const util = Math.min(1, Math.max(0, store.a[list.rows[i]] / 100));
      const me = Math.min(1, util, share ? share[i] : 0);
      if (!Number.isNaN(cx0) && x1 - cx0 < 2) {
        cx1 = x1;
        cUtil = Math.max(cUtil, util);
        cMe = Math.max(cMe, me);
        continue;
      }
      emit();
      cx0 = x0;
      cx1 = x1;
      cUtil = util;
      cMe = me;
    }
    emit();
  }
  batch.paint(ctx, null);
}

/** A tick per sample at the core each thread was last seen on; threads seen on one core at once share its row. */
function drawSightings(ctx: CanvasRenderingContext2D, f: Frame, y: number, rowH: number): void {
  const { view, data } = f;
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
        // Opacity in quarters: few style changes however many ticks.
        const alpha = 0.4 + 0.2 * Math.round(3 * Math.min(1, s.cpu[m] / 100));
        batch.rect(threadColor(f.palette, s.thread[m]), alpha, x - 1, top + (m - i) * h, 3, h);
      }
      // Ticks closer than 3 px: the next round that is visibly apart.
      const next = s.lowerBound(view.t(x + 3));
      i = Math.max(j, next);
    }
  }
  batch.paint(ctx, null);
}
