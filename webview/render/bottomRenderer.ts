/**
 * The panel under the lanes, on the same time axis: stdout/stderr writes,
 * CPU utilization per core (one line per core), and which thread ran on
 * which core (from the per-thread samples).
 */
import type { RowList } from '../data/laneIndex';
import { threadColor, withAlpha } from '../theme';
import { fitText, type Frame } from './frame';

export const STDOUT_H = 26;
export const CPU_H = 72;

export interface BottomLayout {
  stdoutY: number;
  cpuY: number;
  coresY: number;
  coreRowH: number;
  height: number;
}

export function bottomLayout(cores: number): BottomLayout {
  const coreRowH = cores > 0 ? Math.max(3, Math.min(10, Math.floor(96 / cores))) : 0;
  const stdoutY = 0;
  const cpuY = STDOUT_H;
  const coresY = cpuY + (cores > 0 ? CPU_H : 0);
  return { stdoutY, cpuY, coresY, coreRowH, height: coresY + cores * coreRowH + (cores > 0 ? 4 : 0) };
}

export function drawBottom(ctx: CanvasRenderingContext2D, f: Frame, b: BottomLayout): void {
  const { view, palette } = f;
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, view.width, b.height);
  ctx.fillStyle = palette.border;
  ctx.fillRect(0, 0, view.width, 1);
  drawStdout(ctx, f, b.stdoutY + 2, STDOUT_H - 4);
  const cores = f.data.coreSamples.length;
  if (cores > 0) {
    ctx.fillStyle = palette.border;
    ctx.fillRect(0, b.cpuY, view.width, 1);
    drawCpu(ctx, f, b.cpuY + 4, CPU_H - 8);
    ctx.fillStyle = palette.border;
    ctx.fillRect(0, b.coresY, view.width, 1);
    drawCores(ctx, f, b.coresY + 2, b.coreRowH);
  }
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

function drawCpu(ctx: CanvasRenderingContext2D, f: Frame, y: number, h: number): void {
  const { view, palette, store, data } = f;
  ctx.fillStyle = withAlpha(palette.grid, 0.5);
  ctx.fillRect(0, y + h / 2, view.width, 1);
  ctx.lineWidth = 1.25;
  ctx.lineJoin = 'round';
  for (let c = 0; c < data.coreSamples.length; c++) {
    const list: RowList = data.coreSamples[c];
    if (list.n === 0) continue;
    ctx.strokeStyle = withAlpha(palette.series[c % palette.series.length], 0.85);
    ctx.beginPath();
    let i = Math.max(0, list.lowerBound(view.v0) - 1);
    const last = Math.min(list.n, list.upperBound(view.v1) + 1);
    let started = false;
    let colX = NaN;
    let colMax = 0;
    const plot = (x: number, v: number): void => {
      const py = y + h - (Math.min(100, Math.max(0, v)) / 100) * h;
      if (started) ctx.lineTo(x, py);
      else ctx.moveTo(x, py);
      started = true;
    };
    for (; i < last; i++) {
      const x = Math.round(view.x(list.ts[i]));
      const v = store.a[list.rows[i]];
      if (x === colX) {
        colMax = Math.max(colMax, v);
        continue;
      }
      if (!Number.isNaN(colX)) plot(colX, colMax);
      colX = x;
      colMax = v;
    }
    if (!Number.isNaN(colX)) plot(colX, colMax);
    ctx.stroke();
  }
}

function drawCores(ctx: CanvasRenderingContext2D, f: Frame, y: number, rowH: number): void {
  const { view, data } = f;
  for (let c = 0; c < data.coreRuns.length; c++) {
    const runs = data.coreRuns[c];
    const top = y + c * rowH;
    // Runs are in sample order: ends ascend; look back by the longest run for starts.
    let lo = 0;
    let hi = runs.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (runs.end[mid] < view.v0) lo = mid + 1;
      else hi = mid;
    }
    let lastPx = -1;
    for (let i = lo; i < runs.n; i++) {
      if (runs.start[i] > view.v1) {
        if (runs.end[i] > view.v1 + runs.maxLen) break;
        continue;
      }
      const x0 = view.x(runs.start[i]);
      const x1 = view.x(runs.end[i]);
      if (x1 < lastPx) continue;
      ctx.fillStyle = threadColor(f.palette, runs.thread[i]);
      ctx.globalAlpha = 0.35 + 0.65 * Math.min(1, runs.cpu[i] / 100);
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), rowH - 1);
      lastPx = Math.floor(x1) + (x1 - x0 < 1 ? 1 : 0);
    }
    ctx.globalAlpha = 1;
  }
}

