/** What one drawing pass needs to know; built by the app for every frame. */
import type { Finding } from '../../src/core/analysis/finding';
import type { Flow, FlowKind } from '../../src/core/analysis/flows';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { CpuModel } from '../data/cpuModel';
import type { Layout } from '../data/laneLayout';
import type { SearchQuery } from '../data/search';
import type { Category } from '../data/spanKinds';
import type { TimelineData } from '../data/timelineData';
import type { Palette } from '../theme';
import type { TimeView } from '../timeView';

export interface Frame {
  store: TraceStore;
  data: TimelineData;
  layout: Layout;
  view: TimeView;
  palette: Palette;
  /** Where open spans end: the live "now", else the end of the trace. */
  openEnd: number;
  /** Vertical scroll of the lanes, and the visible height. */
  scrollTop: number;
  viewHeight: number;
  hidden: ReadonlySet<Category>;
  flowKinds: ReadonlySet<FlowKind>;
  flows: readonly Flow[];
  query: SearchQuery;
  selectedRow: number;
  /** The finding selected in the Findings pane, with the rows and threads it rests on. */
  finding?: FrameFinding;
  /** Collect what is drawn (test hook), off in normal frames. */
  collect?: DrawnItems;
  /** Cores used and threads wanting CPU (rebuilt with the flows). */
  cpu?: CpuModel;
  /** Per-frame lookup tables of the lanes renderer. */
  spanStyles?: { catOf: Int8Array; colors: string[] };
}

export interface DrawnSpan {
  lane: string;
  row: number;
  kind: string;
  label: string;
  x0: number;
  x1: number;
  y: number;
  h: number;
}

export interface DrawnArrow {
  kind: FlowKind;
  from: number;
  to: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface FrameFinding {
  finding: Finding;
  /** Rows of this trace it rests on. */
  rows: number[];
  /** Threads it involves. */
  threads: number[];
}

/** A finding as drawn: its window, its lanes, its events outlined, its arrows (canvas CSS pixels). */
export interface DrawnFinding {
  id: string;
  band: { x0: number; x1: number } | null;
  lanes: string[];
  marks: { row: number; x0: number; x1: number; y: number; h: number }[];
  edges: { fromRow: number; toRow: number; label: string; x0: number; y0: number; x1: number; y1: number }[];
}

/** A pixel column of a lane level where spans narrower than a pixel were drawn as one (lodSpans.ts). */
export interface DrawnColumn {
  lane: string;
  x: number;
  y: number;
  h: number;
  /** Spans summed into it. */
  count: number;
  /** The category drawn: the one that took most of the column's time. */
  category: string;
}

/** A stretch of a CPU chart labelled in words ("4 threads want CPU · 1.0 cores used"). */
export interface DrawnPhase {
  text: string;
  x0: number;
  x1: number;
  /** The program's row (true) or a process header. */
  program: boolean;
  /** The process header's pid (process rows). */
  pid?: number;
}

/** A point event as drawn (a marker, or a shared access's tick). */
export interface DrawnPoint {
  lane: string;
  row: number;
  kind: string;
  x: number;
  /** The text drawn beside it, if there was room. */
  label?: string;
}

/** Tiny spans drawn as one run (at least MIN_PX wide), with how many spans it holds. */
export interface DrawnRun {
  lane: string;
  x0: number;
  x1: number;
  count: number;
}

export interface DrawnItems {
  spans: DrawnSpan[];
  arrows: DrawnArrow[];
  limit: number;
  points?: DrawnPoint[];
  runs?: DrawnRun[];
  phases?: DrawnPhase[];
  finding?: DrawnFinding;
  columns?: DrawnColumn[];
}

/** Sizes a canvas for the device pixel ratio and returns its context scaled to CSS pixels. */
export function prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext('2d', { alpha: false })!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Cuts text to fit a width, with an ellipsis; `charW` is the font's average character width. */
export function fitText(text: string, width: number, charW: number): string {
  const n = Math.floor(width / charW);
  if (n <= 1) return '';
  if (text.length <= n) return text;
  return `${text.slice(0, n - 1)}…`;
}
