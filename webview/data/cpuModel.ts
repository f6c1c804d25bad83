/**
 * The GIL lesson in figures, from the sampler's rows and the recorded waits:
 * - cores used, per process (its own samples) and by the whole program (their
 *   sum per sampling round): 1.0 means one core's worth of CPU;
 * - threads wanting CPU: threads alive and not inside a recorded wait or
 *   sleep (a lock, queue, join, condition, event, barrier, sleep, a future) —
 *   what they would use if nothing held them back; an asyncio loop thread
 *   wants CPU only while it runs a task step;
 * - each core's utilization split into this program's share (its threads'
 *   samples, counted on the core each thread was last seen on) and the rest
 *   of the machine's load.
 * Built at a bounded rate (like the flows), not per frame.
 */
import { decodeThreadSample } from '../../src/core/threadSample';
import { K } from '../../src/core/recordKinds';
import type { TraceStore } from '../../src/core/traceStore';
import type { RowList } from './laneIndex';
import { isWaitKind } from './spanKinds';
import type { TimelineData } from './timelineData';

/** A step function: v[i] holds from t[i] until t[i + 1] (the last value until the end). */
export interface Steps {
  t: Float64Array;
  v: Int32Array;
  max: number;
}

/** Samples: v[i] is the average over (t[i − 1], t[i]] (the first over FIRST_NS before t[0]). */
export interface Samples {
  t: Float64Array;
  v: Float32Array;
  max: number;
}

export interface CpuModel {
  /** Cores of the machine (as many as were sampled; at least 1). */
  cores: number;
  /** Cores used by the program, per sampling round. */
  program: Samples;
  /** Threads of the program that want CPU, and the processes they are in. */
  want: Steps;
  wantProcesses: Steps;
  /** Per process index: its threads that want CPU (only processes with one or more). */
  processWant: Map<number, Steps>;
  /** Per process index: cores it used (its own samples). */
  processCores: Map<number, Samples>;
  /** Per core: this program's share (0–1) at each of its SAMPLE_CORE rows (same order as data.coreSamples). */
  coreShare: Float32Array[];
}

const EMPTY_STEPS: Steps = { t: new Float64Array(0), v: new Int32Array(0), max: 0 };

/** Change points (+1 / −1) into a step function; equal times are merged. */
function toSteps(points: [number, number][]): Steps {
  if (points.length === 0) return EMPTY_STEPS;
  points.sort((a, b) => a[0] - b[0]);
  const t: number[] = [];
  const v: number[] = [];
  let level = 0;
  let max = 0;
  for (let i = 0; i < points.length; i++) {
    level += points[i][1];
    if (i + 1 < points.length && points[i + 1][0] === points[i][0]) continue;
    if (v.length > 0 && v[v.length - 1] === level) continue;
    t.push(points[i][0]);
    v.push(level);
    max = Math.max(max, level);
  }
  return { t: Float64Array.from(t), v: Int32Array.from(v), max };
}

/** Merged [start, end] intervals (sorted by start) of the given rows. */
function merged(store: TraceStore, rows: number[], openEnd: number): [number, number][] {
  const out: [number, number][] = [];
  for (const r of rows) {
    const s = store.ts[r];
    const e = Number.isNaN(store.end[r]) ? openEnd : store.end[r];
    if (e <= s) continue;
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function samplesOf(store: TraceStore, list: RowList, scale: number): Samples {
  const t = new Float64Array(list.n);
  const v = new Float32Array(list.n);
  let max = 0;
  for (let i = 0; i < list.n; i++) {
    t[i] = list.ts[i];
    v[i] = store.a[list.rows[i]] / scale;
    max = Math.max(max, v[i]);
  }
  return { t, v, max };
}

export function buildCpuModel(data: TimelineData, openEnd: number): CpuModel {
  const store = data.store;
  const words = data.naming.words;
  const facts = data.naming.facts;
  const cores = Math.max(1, data.coreSamples.length);

  // Cores used: each process's samples; the program's, summed per sampling round (one time for all pids).
  const processCores = new Map<number, Samples>();
  const rounds = new Map<number, number>();
  for (const p of store.processes) {
    const list = data.processCpu.get(p.pid);
    if (!list || list.n === 0) continue;
    processCores.set(p.index, samplesOf(store, list, 100));
    if (words.role(p) === 'helper') continue;
    for (let i = 0; i < list.n; i++) rounds.set(list.ts[i], (rounds.get(list.ts[i]) ?? 0) + store.a[list.rows[i]] / 100);
  }
  const roundTimes = [...rounds.keys()].sort((a, b) => a - b);
  const program: Samples = { t: Float64Array.from(roundTimes), v: Float32Array.from(roundTimes.map((t) => rounds.get(t)!)), max: 0 };
  for (const x of program.v) program.max = Math.max(program.max, x);

  // Threads wanting CPU.
  const all: [number, number][] = [];
  const perProcess = new Map<number, [number, number][]>();
  for (const th of store.threads) {
    const p = store.processes[th.process];
    if (!p || words.role(p) === 'helper' || words.thread(th).helper) continue;
    const life = data.naming.lifeEnd(p);
    const end = Number.isNaN(th.endTs) ? (Number.isNaN(life) ? openEnd : life) : th.endTs;
    if (!(end > th.startTs)) continue;
    const lane = data.threadLanes[th.index];
    let busy: [number, number][];
    if (facts.loopThreads.has(th.index) && lane) {
      // An event loop: busy while it runs a step, idle in between (waiting in select()).
      const steps: number[] = [];
      for (const task of lane.tasks) for (const r of task.spans.rows(store)) if (store.kind[r] === K.ASYNC_RUN) steps.push(r);
      steps.sort((x, y) => store.ts[x] - store.ts[y]);
      busy = merged(store, steps, openEnd);
    } else {
      const waits = lane ? merged(store, lane.spans.rows(store).filter((r) => isWaitKind(store.kind[r])), openEnd) : [];
      busy = [];
      let from = th.startTs;
      for (const [s, e] of waits) {
        if (s > from) busy.push([from, Math.min(s, end)]);
        from = Math.max(from, e);
        if (from >= end) break;
      }
      if (from < end) busy.push([from, end]);
    }
    let points = perProcess.get(p.index);
    if (!points) perProcess.set(p.index, (points = []));
    for (const [s, e] of busy) {
      if (e <= s) continue;
      points.push([s, 1], [e, -1]);
      all.push([s, 1], [e, -1]);
    }
  }
  const processWant = new Map<number, Steps>();
  const procPoints: [number, number][] = [];
  for (const [p, points] of perProcess) {
    const steps = toSteps(points);
    processWant.set(p, steps);
    // The process wants CPU while any of its threads does.
    let on = false;
    for (let i = 0; i < steps.t.length; i++) {
      const now = steps.v[i] > 0;
      if (now !== on) procPoints.push([steps.t[i], now ? 1 : -1]);
      on = now;
    }
  }

  // Each core: the program's share from its threads' samples, on the core each was last seen on.
  const coreShare = data.coreSamples.map((l) => new Float32Array(l.n));
  for (const lane of data.threadLanes) {
    if (!lane) continue;
    const list = lane.cpu;
    for (let i = 0; i < list.n; i++) {
      const r = list.rows[i];
      const { core } = decodeThreadSample(store.b[r]);
      const samples = data.coreSamples[core];
      if (!samples) continue;
      // The core is sampled first in a round, the threads just after: the round's core row.
      const j = samples.upperBound(list.ts[i]) - 1;
      if (j >= 0) coreShare[core][j] += store.a[r] / 100;
    }
  }
  return { cores, program, want: toSteps(all), wantProcesses: toSteps(procPoints), processWant, processCores, coreShare };
}

/** The value of a step function at t (0 before its first step). */
export function stepAt(s: Steps, t: number): number {
  let lo = 0;
  let hi = s.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.t[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : s.v[lo - 1];
}

/** The sample whose window holds t, or NaN outside the samples. */
export function sampleAt(s: Samples, t: number, firstNs = 50e6): number {
  let lo = 0;
  let hi = s.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.t[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= s.t.length) return NaN;
  const from = lo > 0 ? s.t[lo - 1] : s.t[0] - firstNs;
  return t > from ? s.v[lo] : NaN;
}

/** Time-weighted mean of samples over [a, b] (NaN if no sample covers it). */
export function meanOver(s: Samples, a: number, b: number, firstNs = 50e6): number {
  let sum = 0;
  let covered = 0;
  for (let i = 0; i < s.t.length; i++) {
    const to = s.t[i];
    const from = i > 0 ? s.t[i - 1] : to - firstNs;
    if (to <= a) continue;
    if (from >= b) break;
    const w = Math.min(to, b) - Math.max(from, a);
    if (w <= 0) continue;
    sum += s.v[i] * w;
    covered += w;
  }
  return covered > 0 ? sum / covered : NaN;
}

export interface Phase {
  t0: number;
  t1: number;
  threads: number;
  processes: number;
}

/**
 * Stretches of [v0, v1] where the number of threads wanting CPU (and the processes they are
 * in) stays the same, ignoring blips shorter than `minNs` (a thread starting the next one);
 * each at least `minNs` long.
 */
export function phases(want: Steps, procs: Steps | undefined, v0: number, v1: number, minNs: number): Phase[] {
  const raw: Phase[] = [];
  const cut = new Set<number>([v0, v1]);
  for (const t of want.t) if (t > v0 && t < v1) cut.add(t);
  if (procs) for (const t of procs.t) if (t > v0 && t < v1) cut.add(t);
  const times = [...cut].sort((a, b) => a - b);
  for (let i = 0; i + 1 < times.length; i++) {
    const mid = (times[i] + times[i + 1]) / 2;
    raw.push({ t0: times[i], t1: times[i + 1], threads: stepAt(want, mid), processes: procs ? stepAt(procs, mid) : 1 });
  }
  // Blips join the longer of their neighbours; then equal neighbours merge.
  const out: Phase[] = [];
  for (const p of raw) {
    const last = out[out.length - 1];
    if (last && (p.t1 - p.t0 < minNs || (last.threads === p.threads && last.processes === p.processes))) last.t1 = p.t1;
    else if (last && last.t1 - last.t0 < minNs) {
      last.t1 = p.t1;
      last.threads = p.threads;
      last.processes = p.processes;
    } else out.push({ ...p });
  }
  return out.filter((p) => p.t1 - p.t0 >= minNs);
}
