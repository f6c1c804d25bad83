/**
 * CPU and memory samples taken while a traced run lasts (pure Node, never imports 'vscode').
 *
 * Every `intervalMs` (default 50 ms) one sample writes these rows into the store, all point
 * events (end = ts) at the sample time on the run clock (process.hrtime.bigint() − epochNs):
 *
 *  - per process (pidusage):  kind SAMPLE_CPU,  thread −1,  obj pid,  a cpu % (0–100 × cores),
 *                             b RSS bytes
 *  - per thread (Linux /proc/<pid>/task/<tid>/stat, threads the store knows):
 *                             kind SAMPLE_CPU,  thread = store thread index,  obj pid,
 *                             a cpu % (0–100),  b = encodeThreadSample(core, state)
 *  - per core (os.cpus()):    kind SAMPLE_CORE, thread −1,  obj core index,  a utilization % (0–100)
 *
 * Every figure is a delta over the time since the previous sample, so the first time a
 * process, thread or core is seen only sets its baseline and writes no row. A thread's CPU
 * comes from /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU) where the kernel has it,
 * else from the clock ticks of its stat (CLK_TCK, 100 Hz on Linux: over a 50 ms window ticks
 * move in steps of about 20 %, which would make four threads sharing one core look like one
 * running and three idle). Process and core figures come from clock ticks.
 *
 * Where /proc is missing (macOS, Windows) the thread rows are skipped silently; a pid that is
 * gone is skipped; a sample never throws out of a timer, two samples never overlap (a tick that
 * finds the previous sample still running is skipped), and the timer never keeps Node alive.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pidusage from 'pidusage';
import { SAMPLE_CORE, SAMPLE_CPU } from './recordKinds';
import { encodeThreadSample } from './threadSample';
import type { TraceStore } from './traceStore';

// Thread sample encoding (b = core + 256 × state letter) lives in threadSample.ts, pure for the webview.
export { decodeThreadSample, encodeThreadSample } from './threadSample';

// ---------------------------------------------------------------------------------------------
// /proc/<pid>/task/<tid>/stat

export interface ThreadStat {
  /** Field 3: R, S, D, Z, T, t, I, X … */
  state: string;
  /** Fields 14 + 15: user + system time in clock ticks. */
  ticks: number;
  /** Field 22: start time after boot in clock ticks (tells a reused tid apart). */
  startTime: number;
  /** Field 39: the CPU the thread last ran on. */
  core: number;
}

/**
 * Parses one stat line. The comm field (2) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from after the LAST ')'. Returns undefined for a line
 * that does not parse.
 */
export function parseStat(line: string): ThreadStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  // f[0] is field 3, so field n (1-based, as in proc(5)) is f[n - 3].
  const f = line.slice(close + 1).trim().split(/\s+/);
  if (f.length < 37) return undefined;
  const state = f[0];
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const startTime = Number(f[19]);
  const core = Number(f[36]);
  if (state.length !== 1 || !Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(startTime)
    || !Number.isInteger(core) || core < 0) return undefined;
  return { state, ticks: utime + stime, startTime, core };
}

let clockTicks: number | undefined;

/** CLK_TCK, from `getconf` once; 100 if that fails. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    clockTicks = 100;
    try {
      const n = parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }), 10);
      if (n > 0) clockTicks = n;
    } catch {
      // keep 100
    }
  }
  return clockTicks;
}

/**
 * First field of /proc/<pid>/task/<tid>/schedstat: nanoseconds spent on a CPU (the second,
 * time waiting on a run queue, and the third, timeslices, are not used). Undefined if absent.
 */
export function parseSchedstat(text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0];
  if (!first || !/^\d+$/.test(first)) return undefined;
  const ns = Number(first);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

const readBuffer = Buffer.alloc(4096);

/** Reads a small /proc file synchronously (one open/read/close), or undefined if it is gone. */
function readSmallFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = fs.readSync(fd, readBuffer, 0, readBuffer.length, 0);
    return readBuffer.toString('latin1', 0, n);
  } catch {
    return undefined; // ESRCH: the thread exited between open and read
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // nothing to do
    }
  }
}

// ---------------------------------------------------------------------------------------------
// pidusage housekeeping

/**
 * pidusage keeps one open fd per pid in a module-global history, and `pidusage.clear()` drops
 * that history without closing them (v4.1.0: one leaked fd per sampled pid). We close the fds of
 * our pids ourselves through its history module; if that module cannot be found, only clear().
 */
interface PidusageHistory {
  get(pid: number): { fd?: number } | undefined;
}
let pidusageHistory: PidusageHistory | null | undefined;

function historyModule(): PidusageHistory | null {
  if (pidusageHistory === undefined) {
    pidusageHistory = null;
    try {
      const h = require('pidusage/lib/history') as Partial<PidusageHistory> | undefined;
      if (h && typeof h.get === 'function') pidusageHistory = h as PidusageHistory;
    } catch {
      // layout changed: fall back to clear() alone
    }
  }
  return pidusageHistory;
}

/** Samplers started and not yet stopped: pidusage's history is shared, clear it after the last. */
let activeSamplers = 0;

// ---------------------------------------------------------------------------------------------

export interface SamplerOptions {
  store: TraceStore;
  /** process.hrtime.bigint() at the run's time zero. */
  epochNs: bigint;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Pids to sample now: those seen so far that have not exited. */
  pids: () => number[];
  /** Where per-thread stats are read from; default '/proc'. pidusage always reads the real one. */
  procRoot?: string;
  /** Told (once) if a sample fails for an unexpected reason. */
  onWarning?: (message: string) => void;
}

interface ThreadPrev {
  ticks: number;
  /** schedstat run time (ns), undefined where the kernel has none. */
  runNs: number | undefined;
  startTime: number;
  t: number;
}

export class Sampler {
  readonly intervalMs: number;
  private readonly store: TraceStore;
  private readonly epochNs: bigint;
  private readonly procRoot: string;
  private readonly procExists: boolean;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private counted = false;
  private warned = false;
  /** Whether thread run times come from schedstat: unknown until the first thread is read. */
  private schedstat: boolean | undefined;

  /** Pids pidusage has answered for (a baseline is set) and every pid it was asked about. */
  private readonly seenPids = new Set<number>();
  private readonly askedPids = new Set<number>();
  /** pid → native tid → store thread index. */
  private readonly threadIndex = new Map<number, Map<number, number>>();
  private indexedThreads = 0;
  /** Store threads whose nativeId was not known yet when they were indexed. */
  private pendingThreads: number[] = [];
  /** Store thread index → previous reading. */
  private readonly threadPrev = new Map<number, ThreadPrev>();
  private corePrev: ({ busy: number; total: number } | undefined)[] = [];

  constructor(private readonly options: SamplerOptions) {
    this.store = options.store;
    this.epochNs = options.epochNs;
    this.intervalMs = Math.max(1, options.intervalMs ?? 50);
    this.procRoot = options.procRoot ?? '/proc';
    this.procExists = fs.existsSync(this.procRoot);
  }

  /** Takes a baseline sample now, then one every interval until stop(). */
  start(): void {
    if (this.timer || this.stopping) return;
    if (!this.counted) {
      this.counted = true;
      activeSamplers++;
    }
    void this.sampleOnce();
    this.timer = setInterval(() => {
      if (!this.inflight) void this.sampleOnce();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, waits for a running sample, takes one last sample and releases pidusage. */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.finish();
    return this.stopping;
  }

  private async finish(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.inflight) await this.inflight;
    await this.sampleOnce();
    this.release();
  }

  /**
   * Takes one sample and writes its rows. Never rejects. If a sample is already running,
   * returns that one rather than starting a second.
   */
  sampleOnce(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.sample()
        .catch((err: unknown) => this.warn(err))
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private now(): number {
    return Number(process.hrtime.bigint() - this.epochNs);
  }

  private warn(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    try {
      this.options.onWarning?.(`CPU sampler: ${err instanceof Error ? err.message : String(err)}`);
    } catch {
      // a failing listener must not break sampling
    }
  }

  private async sample(): Promise<void> {
    const pids = [...new Set(this.options.pids())].filter((p) => Number.isInteger(p) && p > 0);
    this.sampleCores();
    // pidusage reads on the thread pool while the thread stats are read here.
    const processes = this.sampleProcesses(pids);
    await this.sampleThreads(pids);
    await processes;
  }

  private sampleCores(): void {
    let cpus: os.CpuInfo[];
    try {
      cpus = os.cpus();
    } catch {
      return;
    }
    const ts = this.now();
    for (let i = 0; i < cpus.length; i++) {
      const t = cpus[i].times;
      const busy = t.user + t.nice + t.sys + t.irq;
      const total = busy + t.idle;
      const prev = this.corePrev[i];
      if (prev && total <= prev.total) continue; // no tick since: keep the baseline
      this.corePrev[i] = { busy, total };
      if (!prev) continue;
      const util = (100 * (busy - prev.busy)) / (total - prev.total);
      this.store.push(SAMPLE_CORE, ts, ts, -1, i, -1, Math.min(100, Math.max(0, util)), 0);
    }
  }

  private async sampleProcesses(pids: number[]): Promise<void> {
    if (pids.length === 0) return;
    let stats: Record<string, pidusage.Status | null | undefined>;
    try {
      for (const pid of pids) this.askedPids.add(pid);
      // An array always answers with a map (null for a pid that is gone), except that a
      // single-pid array rejects when that pid is gone.
      stats = await pidusage(pids.slice());
    } catch {
      return;
    }
    const ts = this.now();
    for (const pid of pids) {
      const s = stats[pid];
      if (!s) {
        this.seenPids.delete(pid);
        continue;
      }
      if (!this.seenPids.has(pid)) {
        this.seenPids.add(pid); // pidusage's first answer for a pid is 0 %: a baseline only
        continue;
      }
      this.store.push(SAMPLE_CPU, ts, ts, -1, pid, -1, s.cpu, s.memory);
    }
  }

  /** Maps threads added to the store since the last sample (and those that lacked a tid). */
  private refreshThreadIndex(): void {
    const threads = this.store.threads;
    if (this.pendingThreads.length > 0) this.pendingThreads = this.pendingThreads.filter((i) => !this.indexThread(i));
    for (; this.indexedThreads < threads.length; this.indexedThreads++) {
      if (!this.indexThread(this.indexedThreads)) this.pendingThreads.push(this.indexedThreads);
    }
  }

  private indexThread(i: number): boolean {
    const t = this.store.threads[i];
    if (!(t.nativeId > 0)) return false;
    let byTid = this.threadIndex.get(t.pid);
    if (!byTid) this.threadIndex.set(t.pid, (byTid = new Map()));
    const old = byTid.get(t.nativeId);
    if (old === undefined || old < i) byTid.set(t.nativeId, i); // a reused tid: the later thread
    return true;
  }

  private async sampleThreads(pids: number[]): Promise<void> {
    if (!this.procExists) return;
    this.refreshThreadIndex();
    let hz = 0;
    for (const pid of pids) {
      const byTid = this.threadIndex.get(pid);
      if (!byTid) continue;
      if (hz === 0) hz = clockTicksPerSecond();
      for (const [tid, index] of byTid) {
        if (!Number.isNaN(this.store.threads[index].endTs)) {
          this.threadPrev.delete(index); // ended: nothing more to sample
          continue;
        }
        const dir = path.join(this.procRoot, String(pid), 'task', String(tid));
        const text = readSmallFile(path.join(dir, 'stat'));
        const sched = this.schedstat !== false ? readSmallFile(path.join(dir, 'schedstat')) : undefined;
        const t = this.now();
        const stat = text === undefined ? undefined : parseStat(text);
        const runNs = sched === undefined ? undefined : parseSchedstat(sched);
        // The first thread read tells whether this kernel has schedstat; later a missing one is a thread that just ended.
        if (this.schedstat === undefined && stat) this.schedstat = runNs !== undefined;
        if (!stat) {
          this.threadPrev.delete(index);
          continue;
        }
        const prev = this.threadPrev.get(index);
        const elapsedS = prev ? (t - prev.t) / 1e9 : 0;
        if (prev && prev.startTime === stat.startTime && elapsedS < 1 / hz) continue; // less than a tick: keep the baseline
        this.threadPrev.set(index, { ticks: stat.ticks, runNs, startTime: stat.startTime, t });
        // No baseline, or the tid now belongs to another thread (its start time moved).
        if (!prev || prev.startTime !== stat.startTime) continue;
        const cpu = runNs !== undefined && prev.runNs !== undefined
          ? (100 * (runNs - prev.runNs)) / 1e9 / elapsedS
          : (100 * (stat.ticks - prev.ticks)) / hz / elapsedS;
        this.store.push(SAMPLE_CPU, t, t, index, pid, -1, Math.min(100, Math.max(0, cpu)), encodeThreadSample(stat.core, stat.state));
      }
      // Let other callbacks run between processes: one process's threads is a short read.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Closes pidusage's fds for our pids, and clears its history after the last sampler. */
  private release(): void {
    const history = historyModule();
    if (history) {
      for (const pid of this.askedPids) {
        try {
          const h = history.get(pid);
          if (h && typeof h.fd === 'number') {
            const fd = h.fd;
            h.fd = undefined;
            fs.closeSync(fd);
          }
        } catch {
          // already closed
        }
      }
    }
    this.askedPids.clear();
    if (this.counted) {
      this.counted = false;
      activeSamplers--;
    }
    if (activeSamplers === 0) pidusage.clear();
  }
}
