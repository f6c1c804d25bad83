/**
 * CPU time from the sampler's rows (sampler.ts): a sample's `a` is the CPU %
 * (100 per core) over the time since the previous sample of the same thread
 * or process, so each sample stands for that stretch; a first sample for the
 * sampler's usual interval (its baseline was taken then).
 */
import { SAMPLE_CPU } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';

/** What a first sample stands for: the sampler's default interval. */
export const FIRST_SAMPLE_NS = 50e6;

export interface CpuTotals {
  /** Per thread index: CPU time in ns. */
  thread: Float64Array;
  /** Per pid: CPU time in ns (the process as a whole, every thread, traced or not). */
  process: Map<number, number>;
}

export function cpuTotals(store: TraceStore): CpuTotals {
  const thread = new Float64Array(store.threads.length);
  const process = new Map<number, number>();
  const lastThread = new Float64Array(store.threads.length).fill(NaN);
  const lastProcess = new Map<number, number>();
  for (let r = 0; r < store.length; r++) {
    if (store.kind[r] !== SAMPLE_CPU) continue;
    const ts = store.ts[r];
    const t = store.thread[r];
    if (t >= 0) {
      if (t >= thread.length) continue;
      const prev = lastThread[t];
      const from = Number.isNaN(prev) ? Math.max(store.threads[t].startTs, ts - FIRST_SAMPLE_NS) : prev;
      lastThread[t] = ts;
      thread[t] += (store.a[r] / 100) * Math.max(0, ts - from);
    } else {
      const pid = store.obj[r];
      const prev = lastProcess.get(pid);
      lastProcess.set(pid, ts);
      const window = prev === undefined ? FIRST_SAMPLE_NS : ts - prev;
      process.set(pid, (process.get(pid) ?? 0) + (store.a[r] / 100) * Math.max(0, window));
    }
  }
  return { thread, process };
}
