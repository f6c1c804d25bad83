/**
 * The findings of a trace that may still be growing, for the live panel and
 * the Problems panel: the analysis runs again when the trace changed and
 * enough time has passed (at most every `minIntervalMs`, and never more than
 * `maxShare` of the time: a pass that took 80 ms waits 800 ms), so it stays
 * off the host's critical path on big traces. `version` moves only when the
 * list itself changed, so senders post it only then.
 */
import type { Finding } from '../analysis/finding';
import { FindingsEngine } from '../analysis/findings';
import type { TraceStore } from '../trace/traceStore';

/** What a pass is told: the trace is complete (`final`), or how late it is on the run's clock (`now`, ns). */
export interface PassOptions {
  final?: boolean;
  now?: number;
}

/** One analysis of one store; update() returns the findings of everything seen so far. */
export interface FindingsAnalysis {
  update(options?: PassOptions): Finding[];
}

export interface LiveFindingsOptions {
  /** Shortest time between two passes while the trace grows (ms). Default 500. */
  minIntervalMs?: number;
  /** Largest share of the time the analysis may take. Default 0.1. */
  maxShare?: number;
  /** The analysis to run (default: the incremental FindingsEngine). */
  analysis?: (store: TraceStore) => FindingsAnalysis;
  /** Clock in ms (tests). */
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** The incremental engine: each pass reads only what is new since the last. */
export function incrementalAnalysis(store: TraceStore): FindingsAnalysis {
  return new FindingsEngine(store);
}

export class LiveFindings {
  /** The findings of the last pass. */
  list: Finding[] = [];
  /** Bumped whenever `list` changed. */
  version = 0;
  /** Rows of the trace the last pass saw. */
  rows = 0;
  /** Duration of the last pass (ms). */
  lastMs = 0;
  passes = 0;
  private analysis: FindingsAnalysis | undefined;
  private analysedStore: TraceStore | undefined;
  private storeVersion = -1;
  /** Run-clock time of the last pass (a hang adds no events, but time still tells). */
  private lastNow: number | undefined;
  private finalDone = false;
  private lastAt = -Infinity;
  private signature = '[]';
  private readonly minIntervalMs: number;
  private readonly maxShare: number;
  private readonly now: () => number;

  constructor(private readonly store: () => TraceStore, private readonly options: LiveFindingsOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 500;
    this.maxShare = options.maxShare ?? 0.1;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs the analysis if the trace changed since the last pass (or, given the run's clock
   * `now`, time went on: a hang adds no events) and the time has come. `force`: as soon as
   * anything changed; `final`: the trace is complete (one last pass). Returns true when the
   * findings changed.
   */
  poll(force = false, pass: PassOptions = {}): boolean {
    const store = this.store();
    if (store !== this.analysedStore) {
      this.analysedStore = store;
      this.analysis = (this.options.analysis ?? incrementalAnalysis)(store);
      this.storeVersion = -1;
      this.lastNow = undefined;
      this.finalDone = false;
    }
    const now = this.now();
    const interval = Math.max(this.minIntervalMs, this.lastMs / this.maxShare);
    const grew = store.version !== this.storeVersion;
    const timePassed = pass.now !== undefined && (this.lastNow === undefined || (pass.now - this.lastNow) / 1e6 >= interval);
    const settle = !!pass.final && !this.finalDone;
    if (!grew && !timePassed && !settle) return false;
    if (!force && !settle && now < this.lastAt + interval) return false;
    const version = store.version;
    const rows = store.length;
    const t = now;
    let list: Finding[];
    try {
      list = this.analysis!.update(pass);
    } catch (err) {
      // A trace caught mid-write must not take the view down: keep the last answer.
      this.options.onError?.(err);
      this.lastAt = now;
      this.storeVersion = version;
      if (pass.now !== undefined) this.lastNow = pass.now;
      if (pass.final) this.finalDone = true;
      return false;
    }
    // On the same clock as the intervals (a test's fake clock too).
    this.lastMs = this.now() - t;
    this.lastAt = now;
    this.storeVersion = version;
    if (pass.now !== undefined) this.lastNow = pass.now;
    if (pass.final) this.finalDone = true;
    this.rows = rows;
    this.passes++;
    const signature = JSON.stringify(list);
    if (signature === this.signature) return false;
    this.signature = signature;
    this.list = list;
    this.version++;
    return true;
  }
}
