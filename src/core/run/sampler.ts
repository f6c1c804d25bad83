/**
 * CPU and memory samples taken while a traced run lasts (pure Node, never imports 'vscode').
 *
 * Every `intervalMs` (default 50 ms) one sample writes these rows into the store, all point
 * events (end = ts) at the sample time on the run clock (process.hrtime.bigint() − epochNs):
 *
 *  - per process (Linux /proc/<pid>/stat; elsewhere pidusage):
 *                             kind SAMPLE_CPU,  thread −1,  obj pid,  a cpu % (0–100 × cores),
 *                             b RSS bytes
 *  - per thread (Linux /proc/<pid>/task/<tid>/stat, threads the store knows):
 *                             kind SAMPLE_CPU,  thread = store thread index,  obj pid,
 *                             a cpu % (0–100),  b = encodeThreadSample(core, state)
 *  - per core (os.cpus()):    kind SAMPLE_CORE, thread −1,  obj core index,  a utilization % (0–100)
 *
 * Every figure is a delta over the time since the previous row of the same process, thread
 * or core (a view draws a row over that stretch), so the first time one is seen only sets its
 * baseline and writes no row. Thread and core figures come from clock ticks (CLK_TCK, 100 Hz
 * on Linux): over a 50 ms window they move in steps of about 20 %.
 *
 * Bounded cost whatever the number of processes and threads (Linux):
 *  - /proc is read synchronously, one open/read/close per file: no descriptor is kept, nothing
 *    waits on the thread pool (pidusage's chain of thread-pool hops is what starved sampling
 *    under load), so a sample is one stretch of the event loop and the interval holds.
 *  - A sample reads for at most `budgetMs` (default a tenth of the interval), least recently
 *    read processes first; the rest are read at the next sample, their rows then covering
 *    the longer stretch (the CPU they used is never lost, only seen at a coarser time step).
 *  - A quiet process (CPU time and RSS unchanged since its last row) writes no row, and after
 *    four such reads with no busy or runnable thread it is read every 250 ms only; a thread
 *    is read only when its process's CPU time moved since its threads were last read, or its
 *    own last row was not 0 or found it runnable. A quiet thread that is not read gets a 0 %
 *    row with its last state about every 250 ms (the CPU findings weigh a row by the stretch since
 *    the previous one). When activity resumes, a 0 row at the last moment the quiet was seen
 *    comes before the new row, so a view does not spread the new figure over the quiet
 *    stretch. What is lost: a quiet thread's state changes (S ↔ D) while its process used no
 *    CPU tick, CPU below one tick (10 ms) is seen only once the process's ticks move, and a
 *    long-quiet process's start is seen up to 250 ms late (the new figure then spans that).
 *
 * Where /proc is missing (macOS, Windows) the thread rows are skipped silently and pidusage
 * gives the process rows; a pid that is gone is skipped; a sample never throws out of a timer,
 * two samples never overlap (a tick that finds the previous sample still running is skipped),
 * and the timer never keeps Node alive.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PidusageSamples } from './pidusageSamples';
import { clockTicksPerSecond, pageSize, parseStat, readSmallFile } from './procFiles';
import { SAMPLE_CORE, SAMPLE_CPU } from '../trace/recordKinds';
import { encodeThreadSample } from './threadSample';
import type { TraceStore } from '../trace/traceStore';

// Thread sample encoding (b = core + 256 × state letter) lives in threadSample.ts, pure for the webview.
export { decodeThreadSample, encodeThreadSample } from './threadSample';
export { clockTicksPerSecond, pageSize, parseStat, type ThreadStat } from './procFiles';

export interface SamplerOptions {
  store: TraceStore;
  /** process.hrtime.bigint() at the run's time zero. */
  epochNs: bigint;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Longest a sample reads /proc (ms; one process at least); default a tenth of the interval, at least 1 ms. */
  budgetMs?: number;
  /** Pids to sample now: those seen so far that have not exited. */
  pids: () => number[];
  /** Where process and thread stats are read from; default '/proc'. */
  procRoot?: string;
  /** Told (once) if a sample fails for an unexpected reason. */
  onWarning?: (message: string) => void;
}

interface ThreadPrev {
  ticks: number;
  startTime: number;
  /** When it was last read (its last row, or its baseline). */
  t: number;
  /** Its last row's figures (0 and the baseline's b before any row). */
  cpu: number;
  b: number;
  /** State R at its last read. */
  runnable: boolean;
}

interface ProcessPrev {
  ticks: number;
  rssPages: number;
  startTime: number;
  /** When it was last read. */
  t: number;
  /** When its last row (or its baseline) was written; before t: quiet reads since. */
  rowT: number;
  rowCpu: number;
  /** Its ticks when its threads were last all read (NaN: not yet). */
  threadTicks: number;
  /** The latest read at which its threads were known not to have moved since their own reads. */
  quietAt: number;
  /** Where the next read of its threads starts (a read cut short by the budget goes on there). */
  threadCursor: number;
  /** Threads left to read in the pass under way (0: none), and its ticks when the pass began. */
  passLeft: number;
  passTicks: number;
  /** Reads in a row that found it and all its threads quiet (none busy or runnable). */
  quietReads: number;
}

/**
 * A quiet process is read this often (ns), and a thread of it that is not read gets a 0 % row
 * about as often (at the first read an interval short of it): a row stands for the time since
 * the previous one.
 */
const QUIET_ROW_NS = 250e6;

/** A process quiet for this many reads in a row is read every QUIET_ROW_NS only. */
const QUIET_READS = 4;

/** Reads between two looks at the CPU time used. */
const CHECK_EVERY = 8;

const cpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** A sample ran out of its budget: the rest waits for the next one. */
const OUT_OF_BUDGET = false;

export class Sampler {
  readonly intervalMs: number;
  private readonly budgetNs: number;
  private readonly store: TraceStore;
  private readonly epochNs: bigint;
  private readonly procRoot: string;
  private readonly procExists: boolean;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private warned = false;
  /** Platforms without /proc: process rows from pidusage. */
  private readonly pidusage = new PidusageSamples();

  /** pid → native tid → store thread index. */
  private readonly threadIndex = new Map<number, Map<number, number>>();
  private indexedThreads = 0;
  /** Store threads whose nativeId was not known yet when they were indexed. */
  private pendingThreads: number[] = [];
  /** Store thread index → previous reading. */
  private readonly threadPrev = new Map<number, ThreadPrev>();
  private readonly processPrev = new Map<number, ProcessPrev>();
  private corePrev: ({ busy: number; total: number } | undefined)[] = [];
  /** This process's CPU time (µs, process.cpuUsage) at which the current sample stops reading. */
  private deadline = 0;
  private readsSinceCheck = 0;
  private hz = 100;

  constructor(private readonly options: SamplerOptions) {
    this.store = options.store;
    this.epochNs = options.epochNs;
    this.intervalMs = Math.max(1, options.intervalMs ?? 50);
    this.budgetNs = Math.max(0, options.budgetMs ?? Math.max(1, this.intervalMs / 10)) * 1e6;
    this.procRoot = options.procRoot ?? '/proc';
    this.procExists = fs.existsSync(this.procRoot);
  }

  /** Takes a baseline sample now, then one every interval until stop(). */
  start(): void {
    if (this.timer || this.stopping) return;
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
    this.pidusage.release();
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
    if (this.procExists) {
      this.sampleProc(pids);
    } else {
      this.writeUsage(await this.pidusage.usage(pids));
    }
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

  private writeUsage(usage: Map<number, { cpu: number; memory: number }>): void {
    const ts = this.now();
    for (const [pid, u] of usage) this.store.push(SAMPLE_CPU, ts, ts, -1, pid, -1, u.cpu, u.memory);
  }

  /** Linux: processes and their threads from /proc, least recently read first, within the budget. */
  private sampleProc(pids: number[]): void {
    this.refreshThreadIndex();
    this.hz = clockTicksPerSecond();
    this.deadline = cpuMicros() + this.budgetNs / 1e3;
    this.readsSinceCheck = CHECK_EVERY - 1; // the first read is checked: a tiny budget reads one process
    const live = new Set(pids);
    for (const pid of this.processPrev.keys()) if (!live.has(pid)) this.processPrev.delete(pid);
    const order = pids
      .map((pid) => ({ pid, t: this.processPrev.get(pid)?.t ?? -Infinity }))
      .sort((x, y) => x.t - y.t);
    const now = this.now();
    for (const { pid } of order) {
      // Quiet for a while: read every QUIET_ROW_NS only (what it starts doing is seen that much later).
      const prev = this.processPrev.get(pid);
      if (prev && prev.quietReads >= QUIET_READS && now - prev.t < QUIET_ROW_NS) continue;
      if (this.sampleProcess(pid) === OUT_OF_BUDGET || this.overBudget()) return;
    }
  }

  /**
   * Whether this sample has used its budget of CPU time (CPU, not wall time: on a loaded
   * machine the sampler is preempted mid-sample, and that costs nothing). Looked at every
   * few reads (getrusage is a system call too).
   */
  private overBudget(): boolean {
    if (++this.readsSinceCheck < CHECK_EVERY) return false;
    this.readsSinceCheck = 0;
    return cpuMicros() >= this.deadline;
  }

  /** One process's row and the threads that need reading; false if the budget ran out. */
  private sampleProcess(pid: number): boolean {
    const text = readSmallFile(path.join(this.procRoot, String(pid), 'stat'));
    const t = this.now();
    const stat = text === undefined ? undefined : parseStat(text);
    const byTid = this.threadIndex.get(pid);
    const prev = this.processPrev.get(pid);
    if (!stat || !prev || prev.startTime !== stat.startTime) {
      // A baseline (or a process whose stat cannot be read: every thread is read).
      if (stat) {
        this.processPrev.set(pid, {
          ticks: stat.ticks, rssPages: stat.rssPages, startTime: stat.startTime, t, rowT: t, rowCpu: 0,
          threadTicks: NaN, quietAt: NaN, threadCursor: 0, passLeft: 0, passTicks: NaN, quietReads: 0,
        });
      } else {
        this.processPrev.delete(pid);
      }
      return byTid ? this.sampleThreads(pid, byTid, this.processPrev.get(pid), stat?.ticks ?? NaN) : true;
    }
    if ((t - prev.t) / 1e9 < 1 / this.hz) return true; // less than a tick since: keep the baseline
    const moved = stat.ticks !== prev.ticks;
    const wrote = moved || stat.rssPages !== prev.rssPages || prev.rowCpu > 0;
    if (wrote) {
      prev.quietReads = 0;
      const bytes = stat.rssPages * pageSize();
      // Quiet reads since the last row: its 0 % stretch ends there, the new figure starts there.
      if (prev.t > prev.rowT) this.store.push(SAMPLE_CPU, prev.t, prev.t, -1, pid, -1, 0, prev.rssPages * pageSize());
      const cpu = (100 * (stat.ticks - prev.ticks)) / this.hz / ((t - prev.t) / 1e9);
      prev.rowCpu = Math.max(0, cpu);
      prev.rowT = t;
      this.store.push(SAMPLE_CPU, t, t, -1, pid, -1, prev.rowCpu, bytes);
    }
    prev.ticks = stat.ticks;
    prev.rssPages = stat.rssPages;
    prev.t = t;
    if (!byTid) {
      if (!wrote) prev.quietReads++;
      return true;
    }
    if (stat.ticks === prev.threadTicks) {
      // No thread used a tick since they were all read: read only those whose last row was not
      // 0 or that were runnable (waiting for a core: their state matters to the CPU findings).
      // The others get a row without a read every QUIET_ROW_NS (0 %, their last state): the CPU
      // findings weigh a row by the time since the thread's previous one, so no row may stand
      // for a long stretch.
      let quiet = !wrote;
      for (const [tid, index] of byTid) {
        const last = this.threadPrev.get(index);
        if (!last) continue;
        if (last.cpu > 0 || last.runnable) {
          quiet = false; // a thread to follow: read every sample
          if (this.overBudget()) return OUT_OF_BUDGET; // the rest at the next sample (its ticks still equal)
          this.sampleThread(pid, tid, index, NaN);
        } else if (t - last.t >= QUIET_ROW_NS - this.intervalMs * 1e6 && Number.isNaN(this.store.threads[index].endTs)) {
          last.t = t;
          this.store.push(SAMPLE_CPU, t, t, index, pid, -1, 0, last.b);
        }
      }
      prev.quietAt = t;
      prev.quietReads = quiet ? prev.quietReads + 1 : 0;
      return true;
    }
    prev.quietReads = 0;
    return this.sampleThreads(pid, byTid, prev, stat.ticks);
  }

  /**
   * Reads a process's threads, a pass over all of them that may span samples: from where the
   * last read stopped; false if the budget ran out first (the pass goes on at the next sample).
   * Once a pass is over, its threads count as read at the ticks the process had when it began
   * (so any tick since starts another).
   */
  private sampleThreads(pid: number, byTid: Map<number, number>, proc: ProcessPrev | undefined, ticks: number): boolean {
    const threads = [...byTid];
    if (proc && proc.passLeft <= 0) {
      proc.passLeft = threads.length;
      proc.passTicks = ticks;
    }
    const from = proc && proc.threadCursor < threads.length ? proc.threadCursor : 0;
    const todo = proc ? Math.min(proc.passLeft, threads.length) : threads.length;
    for (let k = 0; k < todo; k++) {
      const i = (from + k) % threads.length;
      if (k > 0 && this.overBudget()) {
        if (proc) {
          proc.threadCursor = i;
          proc.passLeft = todo - k;
        }
        return OUT_OF_BUDGET;
      }
      const [tid, index] = threads[i];
      if (!Number.isNaN(this.store.threads[index].endTs)) {
        this.threadPrev.delete(index); // ended: nothing more to sample
        continue;
      }
      this.sampleThread(pid, tid, index, proc ? proc.quietAt : NaN);
    }
    if (proc) {
      proc.threadCursor = threads.length > 0 ? (from + todo) % threads.length : 0;
      proc.passLeft = 0;
      proc.threadTicks = proc.passTicks;
    }
    return true;
  }

  /** One thread's row; `quietAt`: until then its process used no tick since this thread's last read. */
  private sampleThread(pid: number, tid: number, index: number, quietAt: number): void {
    const text = readSmallFile(path.join(this.procRoot, String(pid), 'task', String(tid), 'stat'));
    const t = this.now();
    const stat = text === undefined ? undefined : parseStat(text);
    if (!stat) {
      this.threadPrev.delete(index);
      return;
    }
    const prev = this.threadPrev.get(index);
    const hz = this.hz;
    const b = encodeThreadSample(stat.core, stat.state);
    if (prev && prev.startTime === stat.startTime && (t - prev.t) / 1e9 < 1 / hz) return; // less than a tick: keep the baseline
    // No baseline, or the tid now belongs to another thread (its start time moved).
    if (!prev || prev.startTime !== stat.startTime) {
      this.threadPrev.set(index, { ticks: stat.ticks, startTime: stat.startTime, t, cpu: 0, b, runnable: stat.state === 'R' });
      return;
    }
    let start = prev.t;
    // Quiet until quietAt: a 0 % row there, so the new figure covers only the stretch after it
    // (its state is the last one read: not R, or it would have been read while quiet).
    if ((quietAt - prev.t) / 1e9 >= 1 / hz && (t - quietAt) / 1e9 >= 1 / hz) {
      this.store.push(SAMPLE_CPU, quietAt, quietAt, index, pid, -1, 0, prev.b);
      start = quietAt;
    }
    const cpu = Math.min(100, Math.max(0, (100 * (stat.ticks - prev.ticks)) / hz / ((t - start) / 1e9)));
    this.threadPrev.set(index, { ticks: stat.ticks, startTime: stat.startTime, t, cpu, b, runnable: stat.state === 'R' });
    this.store.push(SAMPLE_CPU, t, t, index, pid, -1, cpu, b);
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
}
