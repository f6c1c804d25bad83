/**
 * The GIL lesson in figures, from the sampler's rows and the recorded waits:
 * - cores used, per process (its own samples) and by the whole program (their
 *   sum per sampling round): 1.0 means one core's worth of CPU;
 * - threads wanting CPU: threads alive and not inside a recorded wait or
 *   sleep (a lock, queue, join, condition, event, barrier, sleep, a future) —
 *   what they would use if nothing held them back; an asyncio loop thread
 *   wants CPU only while it runs a task step, a pool's worker only while it
 *   runs a task (between tasks it waits inside the pool, unrecorded);
 * - each core's utilization split into this program's share (its threads'
 *   samples, counted on the core each thread was last seen on) and the rest
 *   of the machine's load.
 * Built at a bounded rate (like the flows), not per frame.
 */
import { decodeThreadSample } from '../../src/core/run/threadSample';
import { K } from '../../src/core/trace/recordKinds';
import type { TraceStore } from '../../src/core/trace/traceStore';
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

/** Times something starts (+1) and ends (−1): runs each in time order (one per thread, per process). */
interface Edges {
  starts: number[][];
  ends: number[][];
}

/** One sorted array of sorted runs (merged pairwise: a few passes for a few runs, not a sort). */
function mergeRuns(runs: number[][]): Float64Array {
  let parts: Float64Array[] = runs.filter((r) => r.length > 0).map((r) => {
    const a = Float64Array.from(r);
    for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) return a.sort();
    return a;
  });
  if (parts.length === 0) return new Float64Array(0);
  while (parts.length > 1) {
    const next: Float64Array[] = [];
    for (let k = 0; k + 1 < parts.length; k += 2) {
      const a = parts[k];
      const b = parts[k + 1];
      const out = new Float64Array(a.length + b.length);
      let i = 0;
      let j = 0;
      let o = 0;
      while (i < a.length && j < b.length) out[o++] = a[i] <= b[j] ? a[i++] : b[j++];
      while (i < a.length) out[o++] = a[i++];
      while (j < b.length) out[o++] = b[j++];
      next.push(out);
    }
    if (parts.length % 2 === 1) next.push(parts[parts.length - 1]);
    parts = next;
  }
  return parts[0];
}

/**
 * Starts and ends into a step function; equal times are merged. The runs are merged and the
 * two walked together: a million changes take a fraction of what sorting a million
 * [time, ±1] pairs took.
 */
function toSteps(e: Edges): Steps {
  const starts = mergeRuns(e.starts);
  const ends = mergeRuns(e.ends);
  const ns = starts.length;
  const ne = ends.length;
  if (ns + ne === 0) return EMPTY_STEPS;
  const t = new Float64Array(ns + ne);
  const v = new Int32Array(ns + ne);
  let n = 0;
  let level = 0;
  let max = 0;
  let i = 0;
  let j = 0;
  while (i < ns || j < ne) {
    const at = Math.min(i < ns ? starts[i] : Infinity, j < ne ? ends[j] : Infinity);
    while (i < ns && starts[i] === at) {
      level++;
      i++;
    }
    while (j < ne && ends[j] === at) {
      level--;
      j++;
    }
    if (n > 0 && v[n - 1] === level) continue;
    t[n] = at;
    v[n] = level;
    n++;
    max = Math.max(max, level);
  }
  return { t: t.slice(0, n), v: v.slice(0, n), max };
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

/** What a process's first row stands for (the sampler's interval: its baseline read before it). */
const FIRST_SAMPLE_NS = 50e6;

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

  // Cores used: each process's samples; the program's, their sum over time. A process's row
  // stands for the time since its previous row (the sampler reads processes at times of their
  // own: a quiet process writes no row, a sample out of budget leaves some for the next), so
  // the rows are added as steps over their own stretches, not per sampling round.
  const processCores = new Map<number, Samples>();
  const deltas = new Map<number, number>();
  const add = (t: number, v: number): void => {
    deltas.set(t, (deltas.get(t) ?? 0) + v);
  };
  for (const p of store.processes) {
    const list = data.processCpu.get(p.pid);
    if (!list || list.n === 0) continue;
    processCores.set(p.index, samplesOf(store, list, 100));
    if (words.role(p) === 'helper') continue;
    for (let i = 0; i < list.n; i++) {
      const to = list.ts[i];
      const from = i > 0 ? list.ts[i - 1] : to - FIRST_SAMPLE_NS;
      const v = store.a[list.rows[i]] / 100;
      if (!(to > from) || v === 0) continue;
      add(from, v);
      add(to, -v);
    }
  }
  const times = [...deltas.keys()].sort((a, b) => a - b);
  const program: Samples = { t: new Float64Array(Math.max(0, times.length - 1)), v: new Float32Array(Math.max(0, times.length - 1)), max: 0 };
  let level = 0;
  for (let k = 0; k + 1 < times.length; k++) {
    level += deltas.get(times[k])!;
    program.t[k] = times[k + 1];
    program.v[k] = Math.max(0, level);
    program.max = Math.max(program.max, program.v[k]);
  }

  // Threads wanting CPU.
  const all: Edges = { starts: [], ends: [] };
  const perProcess = new Map<number, Edges>();
  for (const th of store.threads) {
    const p = store.processes[th.process];
    if (!p || words.role(p) === 'helper' || words.thread(th).helper) continue;
    const life = data.naming.lifeEnd(p);
    const end = Number.isNaN(th.endTs) ? (Number.isNaN(life) ? openEnd : life) : th.endTs;
    if (!(end > th.startTs)) continue;
    const lane = data.threadLanes[th.index];
    // When it could run at all: its life; a pool's worker only inside its tasks (between them
    // it waits inside the pool, unrecorded); an event loop only inside task steps (in between
    // it waits in select()).
    let base: [number, number][];
    if (lane && (words.role(p) === 'worker' || words.thread(th).role === 'worker')) {
      base = merged(store, lane.spans.rows(store).filter((r) => store.kind[r] === K.TASK_RUN), openEnd);
    } else if (lane && facts.loopThreads.has(th.index)) {
      const steps: number[] = [];
      for (const task of lane.tasks) for (const r of task.spans.rows(store)) if (store.kind[r] === K.ASYNC_RUN) steps.push(r);
      steps.sort((x, y) => store.ts[x] - store.ts[y]);
      base = merged(store, steps, openEnd);
    } else base = [[th.startTs, end]];
    // Less its recorded waits and sleeps.
    const waits = lane ? merged(store, lane.spans.rows(store).filter((r) => isWaitKind(store.kind[r])), openEnd) : [];
    const busy: [number, number][] = [];
    let w = 0;
    for (const [s0, e0] of base) {
      let from = s0;
      const to = Math.min(e0, end);
      while (w < waits.length && waits[w][1] <= from) w++;
      for (let k = w; k < waits.length && waits[k][0] < to; k++) {
        if (waits[k][0] > from) busy.push([from, waits[k][0]]);
        from = Math.max(from, waits[k][1]);
      }
      if (from < to) busy.push([from, to]);
    }
    let edges = perProcess.get(p.index);
    if (!edges) perProcess.set(p.index, (edges = { starts: [], ends: [] }));
    // This thread's busy stretches are in time order and apart: starts and ends are runs.
    const starts: number[] = [];
    const ends: number[] = [];
    for (const [s, e] of busy) {
      if (e <= s) continue;
      starts.push(s);
      ends.push(e);
    }
    edges.starts.push(starts);
    edges.ends.push(ends);
    all.starts.push(starts);
    all.ends.push(ends);
  }
  const processWant = new Map<number, Steps>();
  const procEdges: Edges = { starts: [], ends: [] };
  for (const [p, edges] of perProcess) {
    const steps = toSteps(edges);
    processWant.set(p, steps);
    // The process wants CPU while any of its threads does.
    const starts: number[] = [];
    const ends: number[] = [];
    let on = false;
    for (let i = 0; i < steps.t.length; i++) {
      const now = steps.v[i] > 0;
      if (now !== on) (now ? starts : ends).push(steps.t[i]);
      on = now;
    }
    procEdges.starts.push(starts);
    procEdges.ends.push(ends);
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
  return { cores, program, want: toSteps(all), wantProcesses: toSteps(procEdges), processWant, processCores, coreShare };
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
  let lo = 0;
  let hi = s.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.t[mid] <= a) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < s.t.length; i++) {
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
 * in) stays the same, each at least `minNs` long: a run of short changes (threads starting one
 * after another) is one stretch with the value that held longest in it when it is long enough
 * itself, else part of its longer neighbour. The values are read at a few points per `minNs`
 * (binary searches), so the cost follows the width shown, not the number of changes.
 */
export function phases(want: Steps, procs: Steps | undefined, v0: number, v1: number, minNs: number): Phase[] {
  if (!(v1 > v0) || !(minNs > 0)) return [];
  const colNs = Math.max(minNs / 6, (v1 - v0) / 4000);
  const raw: Phase[] = [];
  for (let t = v0; t < v1; t += colNs) {
    const t1 = Math.min(v1, t + colNs);
    const mid = (t + t1) / 2;
    const threads = stepAt(want, mid);
    const processes = procs ? stepAt(procs, mid) : 1;
    const last = raw[raw.length - 1];
    if (last && last.threads === threads && last.processes === processes) last.t1 = t1;
    else raw.push({ t0: t, t1, threads, processes });
  }
  // Runs of short stretches: one stretch of their longest value, or absorbed by a neighbour.
  const blocks: (Phase & { short: boolean })[] = [];
  for (let i = 0; i < raw.length;) {
    if (raw[i].t1 - raw[i].t0 >= minNs) {
      blocks.push({ ...raw[i], short: false });
      i++;
      continue;
    }
    let j = i;
    const time = new Map<string, number>();
    while (j < raw.length && raw[j].t1 - raw[j].t0 < minNs) {
      const k = `${raw[j].threads}/${raw[j].processes}`;
      time.set(k, (time.get(k) ?? 0) + raw[j].t1 - raw[j].t0);
      j++;
    }
    let best = '';
    let bestNs = -1;
    for (const [k, ns] of time) if (ns > bestNs) [best, bestNs] = [k, ns];
    const [threads, processes] = best.split('/').map(Number);
    const t0 = raw[i].t0;
    const t1 = raw[j - 1].t1;
    blocks.push({ t0, t1, threads, processes, short: t1 - t0 < minNs });
    i = j;
  }
  const out: Phase[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.short) {
      // Too short to say anything: part of the longer neighbour.
      const prev = out[out.length - 1];
      const next = blocks[i + 1];
      if (prev && (!next || prev.t1 - prev.t0 >= next.t1 - next.t0)) prev.t1 = b.t1;
      else if (next) next.t0 = b.t0;
      continue;
    }
    const prev = out[out.length - 1];
    if (prev && prev.threads === b.threads && prev.processes === b.processes) prev.t1 = b.t1;
    else out.push({ t0: b.t0, t1: b.t1, threads: b.threads, processes: b.processes });
  }
  return out;
}
