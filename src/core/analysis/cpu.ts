/**
 * Findings from the CPU samples (sampler.ts: every ~50 ms, per thread its CPU
 * share over the interval and its scheduler state R/S/D…), judged per
 * half-second block:
 *
 * gil-contention — in one process, two or more threads want to run (they are
 *   outside any recorded wait or sleep and use CPU) while the process gets
 *   about one core although a core was free (threads that can run in parallel
 *   would have used it). Silent while the machine's cores are all busy (the
 *   GIL cannot be told from other load then), on free-threaded builds
 *   running without the GIL (process metadata "gil": "disabled") and on
 *   one-core machines.
 * oversubscription — many more runnable threads of the run than cores
 *   (more than twice as many) for a long time.
 */
import { K as KINDS } from '../trace/recordKinds';
import { decodeThreadSample } from '../run/threadSample';
import type { TraceStore } from '../trace/traceStore';
import type { Finding } from './finding';
import type { Names } from './names';
import { BEGIN as BEGIN_ } from './timeOrder';
import type { World } from './world';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

/** GIL contention is judged per block of this length. */
export const BLOCK_NS = 500e6;
/** A finding needs this much contended time in total. */
const MIN_NS = 1e9;
/** A thread wants the CPU when it is outside waits/sleeps this often and uses at least this much CPU (%)… */
const FREE_SHARE = 0.7;
const MIN_CPU = 3;
/** …and at least this fraction of an equal share of its process's CPU. */
const FAIR_SHARE = 0.25;
/**
 * The process got about one core at most, and did real work. With a core free, threads that can
 * run in parallel (C code that releases the GIL, a free-threaded build) would have used it, so one
 * core in all is the GIL; and its holder keeps that core busy (threads mostly waiting on I/O the
 * trace does not see leave it idle). On busy cores the threads get less whatever the reason, and
 * nothing in the samples tells the GIL from the machine: under load a thread woken for the GIL
 * and one woken by its socket both wait in state R for a core (a dask client's loop and main
 * threads at load 24: 0.2 core between them, R nearly always). Those blocks say nothing.
 */
const GIL_MAX_CORES = 1.3;
const GIL_MIN_CPU = 70;
/**
 * Idle capacity (cores) under which the machine counts as busy. Half a core: threads that could
 * run in parallel would have taken it (above GIL_MAX_CORES in all), and a GIL-bound program on a
 * quiet 2-core machine leaves ~0.8 idle beside the CLI that traces it.
 */
const FREE_CORE = 0.5;
/** A sample stands for the time since the previous one of its thread, at most this long. */
const MAX_WEIGHT_NS = 2e9;
const FIRST_WEIGHT_NS = 50e6;

/** Time-weighted figures of one thread over a block. */
interface ThreadBlock {
  weight: number;
  cpu: number;
  free: number;
  runnable: number;
}

interface GilSpan {
  firstTs: number;
  lastTs: number;
  ns: number;
  /** Thread → contended time (ns) it wanted the CPU in. */
  threads: Map<number, number>;
  achievedNs: number;
  wanted: number;
}

/** A party of the finding wanted the CPU in at least this share of the contended time. */
const PARTY_SHARE = 0.25;

interface OverSpan {
  firstTs: number;
  lastTs: number;
  ns: number;
  runnableNs: number;
  runnableMax: number;
  pids: Set<number>;
}

export class CpuFindings {
  private cores = 0;
  private readonly noGil = new Set<number>();
  private readonly lastSample: number[] = [];
  /** pid → its block and per-thread figures. */
  private readonly perProcess = new Map<number, { block: number; threads: Map<number, ThreadBlock> }>();
  private readonly gil = new Map<number, GilSpan>();
  /** Machine-wide block: user threads of every process, and core utilisation. */
  private runBlock = -1;
  private runThreads = new Map<number, ThreadBlock>();
  private coreUtil = 0;
  private coreSamples = 0;
  /** Blocks in which the machine had less than FREE_CORE idle capacity. */
  private busyBlocks = new Set<number>();
  private over: OverSpan | undefined;

  constructor(private readonly store: TraceStore, private readonly world: World, private readonly names: Names) {}

  point(row: number, phase: number, time: number): void {
    if (phase !== BEGIN) return;
    const s = this.store;
    const kind = s.kind[row];
    if (kind === K.PROCESS_START) {
      try {
        const meta = JSON.parse(s.strings[s.b[row]] ?? '{}') as { gil?: unknown };
        // bootstrap._meta: "default" (a GIL build), "enabled" / "disabled" (a free-threaded build and its GIL now).
        if (meta.gil === 'disabled' || meta.gil === false) this.noGil.add(s.obj[row]);
      } catch {
        // no metadata: a GIL build
      }
      return;
    }
    if (kind !== K.SAMPLE_CPU && kind !== K.SAMPLE_CORE) return;
    const block = Math.floor(time / BLOCK_NS);
    if (this.runBlock !== block) {
      if (this.runBlock >= 0) this.closeRunBlock(this.runBlock);
      this.runBlock = block;
      this.runThreads = new Map();
      this.coreUtil = 0;
      this.coreSamples = 0;
    }
    if (kind === K.SAMPLE_CORE) {
      this.cores = Math.max(this.cores, s.obj[row] + 1);
      this.coreUtil += s.a[row];
      this.coreSamples++;
      return;
    }
    const t = s.thread[row];
    if (t < 0) return; // a whole-process sample
    const pid = s.obj[row];
    const prev = this.lastSample[t];
    const weight = prev === undefined ? FIRST_WEIGHT_NS : Math.min(MAX_WEIGHT_NS, Math.max(1, time - prev));
    this.lastSample[t] = time;
    let p = this.perProcess.get(pid);
    if (!p) this.perProcess.set(pid, (p = { block, threads: new Map() }));
    if (p.block !== block) {
      this.closeProcessBlock(pid, p.threads, p.block);
      p.block = block;
      p.threads = new Map();
    }
    const runnable = decodeThreadSample(s.b[row]).state === 'R';
    const free = this.world.currentWait(t) < 0 && (this.world.sleeping[t] ?? 0) === 0;
    add(p.threads, t, weight, s.a[row], free, runnable);
    if (!this.world.isInternal(t)) add(this.runThreads, t, weight, s.a[row], free, runnable);
  }

  private closeProcessBlock(pid: number, threads: Map<number, ThreadBlock>, block: number): void {
    if (this.noGil.has(pid) || this.cores === 1) return;
    let processCpu = 0;
    let span = 0;
    const candidates: [number, ThreadBlock][] = [];
    for (const [t, b] of threads) {
      processCpu += b.cpu / b.weight;
      span = Math.max(span, b.weight);
      if (b.free / b.weight >= FREE_SHARE) candidates.push([t, b]);
    }
    if (this.busyBlocks.has(block)) return;
    if (candidates.length < 2 || processCpu < GIL_MIN_CPU || processCpu / 100 > GIL_MAX_CORES) return;
    const fair = (FAIR_SHARE * processCpu) / candidates.length;
    const wanting: number[] = [];
    for (const [t, b] of candidates) {
      const cpu = b.cpu / b.weight;
      if (cpu >= MIN_CPU && cpu >= fair) wanting.push(t);
    }
    if (wanting.length < 2) return;
    const ts = block * BLOCK_NS;
    let g = this.gil.get(pid);
    if (!g) this.gil.set(pid, (g = { firstTs: ts, lastTs: ts + BLOCK_NS, ns: 0, threads: new Map(), achievedNs: 0, wanted: 0 }));
    g.lastTs = ts + BLOCK_NS;
    g.ns += span;
    g.achievedNs += (processCpu / 100) * span;
    g.wanted = Math.max(g.wanted, wanting.length);
    for (const t of wanting) g.threads.set(t, (g.threads.get(t) ?? 0) + span);
  }

  private closeRunBlock(block: number): void {
    if (this.coreSamples > 0 && machineBusy(this.cores, this.coreUtil / this.coreSamples)) this.busyBlocks.add(block);
    if (this.cores === 0) return;
    let runnable = 0;
    let span = 0;
    const pids = new Set<number>();
    for (const [t, b] of this.runThreads) {
      span = Math.max(span, b.weight);
      runnable += b.runnable / b.weight;
      if (b.runnable > 0) pids.add(this.store.threads[t]?.pid ?? -1);
    }
    // More than twice as many threads as cores: at least one whole thread more (a block's average
    // of 4.2 threads on 2 cores is four busy threads and a moment of a fifth, not oversubscription).
    if (span === 0 || runnable < 2 * this.cores + 1) return;
    const ts = block * BLOCK_NS;
    if (!this.over) this.over = { firstTs: ts, lastTs: ts, ns: 0, runnableNs: 0, runnableMax: 0, pids: new Set() };
    const o = this.over;
    o.lastTs = ts + BLOCK_NS;
    o.ns += span;
    o.runnableNs += runnable * span;
    o.runnableMax = Math.max(o.runnableMax, runnable);
    for (const p of pids) o.pids.add(p);
  }

  /** Closes the blocks still open (the end of a complete trace). */
  finish(): void {
    if (this.runBlock >= 0) this.closeRunBlock(this.runBlock);
    this.runBlock = -1;
    for (const [pid, p] of this.perProcess) this.closeProcessBlock(pid, p.threads, p.block);
    this.perProcess.clear();
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    const n = this.names;
    for (const [pid, g] of this.gil) {
      if (g.ns < MIN_NS) continue;
      const p = this.store.processByPid(pid);
      const achieved = g.achievedNs / g.ns;
      const seconds = g.ns / 1e9;
      // The threads that wanted the CPU for a good part of it (not the main thread that only
      // started them in the first moments).
      const steady = [...g.threads].filter(([, ns]) => ns >= PARTY_SHARE * g.ns).map(([t]) => t);
      const threads = steady.length >= 2 ? steady : [...g.threads.keys()];
      out.push({
        id: `gil-contention:${pid}`,
        kind: 'gil-contention',
        severity: 'warning',
        message: `GIL contention in ${p ? `${p.name} (pid ${pid})` : `pid ${pid}`}: ${g.wanted} threads wanted to run Python code at once but together got ${achieved.toFixed(1)} core${this.cores ? ` of ${this.cores}` : ''} for ${seconds.toFixed(1)} s.`,
        explanation: 'In CPython the GIL lets only one thread run Python bytecode at a time, so CPU-bound threads take turns instead of running in parallel: more threads do not make it faster. For CPU-bound work use processes (multiprocessing.Pool, concurrent.futures.ProcessPoolExecutor) or a free-threaded Python build (3.13t and later); threads pay off while they wait on I/O.',
        parties: threads.map((t) => n.party(t)),
        objects: [],
        sites: [],
        window: { startTs: g.firstTs, endTs: g.lastTs },
        events: [],
        edges: [],
        details: { cores: this.cores, threads: g.wanted, wantedCores: g.wanted, achievedCores: Math.round(achieved * 100) / 100, contendedMs: Math.round(seconds * 1000) },
      });
    }
    const o = this.over;
    if (o && o.ns >= MIN_NS) {
      const avg = o.runnableNs / o.ns;
      const seconds = o.ns / 1e9;
      out.push({
        id: 'oversubscription:run',
        kind: 'oversubscription',
        severity: 'warning',
        message: `Oversubscription: about ${Math.round(avg)} threads of ${o.pids.size} process${o.pids.size === 1 ? '' : 'es'} wanted to run on ${this.cores} core${this.cores === 1 ? '' : 's'} for ${seconds.toFixed(1)} s; each got about ${(this.cores / avg).toFixed(2)} of a core.`,
        explanation: 'More runnable processes (or threads outside the GIL) than cores do not run faster: the cores switch between them, and each extra process costs memory and start-up time. Use at most os.cpu_count() worker processes (Pool() and ProcessPoolExecutor() with no argument do that), and do not nest pools.',
        parties: [...o.pids].filter((p) => p >= 0).map((pid) => n.processParty(pid)),
        objects: [],
        sites: [],
        window: { startTs: o.firstTs, endTs: o.lastTs },
        events: [],
        edges: [],
        details: { cores: this.cores, runnable: Math.round(avg * 10) / 10, runnableMax: Math.round(o.runnableMax * 10) / 10, processes: o.pids.size, oversubscribedMs: Math.round(seconds * 1000) },
      });
    }
    return out;
  }
}

/** Whether cores at this mean utilisation (%) leave less than FREE_CORE idle: GIL contention is not judged then. */
export function machineBusy(cores: number, meanUtilPct: number): boolean {
  return cores > 0 && cores * (1 - meanUtilPct / 100) < FREE_CORE;
}

/**
 * The blocks (time / BLOCK_NS) a trace's core samples cover, each with whether the machine was
 * busy in it by machineBusy: the blocks gil-contention judged and those it could not. For a
 * test or a reader that must know whether the finding's silence means "no contention".
 */
export function machineBlocks(store: TraceStore): Map<number, boolean> {
  let cores = 0;
  const util = new Map<number, { sum: number; n: number }>();
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== K.SAMPLE_CORE) continue;
    cores = Math.max(cores, store.obj[i] + 1);
    const block = Math.floor(store.ts[i] / BLOCK_NS);
    const u = util.get(block) ?? { sum: 0, n: 0 };
    u.sum += store.a[i];
    u.n++;
    util.set(block, u);
  }
  const out = new Map<number, boolean>();
  for (const [block, u] of util) out.set(block, machineBusy(cores, u.sum / u.n));
  return out;
}

function add(map: Map<number, ThreadBlock>, t: number, weight: number, cpu: number, free: boolean, runnable: boolean): void {
  let b = map.get(t);
  if (!b) map.set(t, (b = { weight: 0, free: 0, cpu: 0, runnable: 0 }));
  b.weight += weight;
  b.cpu += cpu * weight;
  if (free) b.free += weight;
  if (runnable) b.runnable += weight;
}
