/**
 * idle-workers: a pool's workers sat idle while tasks of that pool were
 * queued (submitted, not started). With Pool.map's chunks this is the stair
 * step: the items of a chunk wait behind a slow one on its worker while the
 * other workers have nothing left to do. Measured as the integral over time
 * of min(queued tasks, idle workers); fires when it reaches 500 ms and 10 %
 * of the pool's capacity (workers × the time it had work).
 *
 * Workers: every thread that ran one of the pool's tasks, from its first
 * task on. Before it, a worker may still be starting (a loky or spawn worker
 * execs a fresh interpreter and imports for seconds under load): not idle.
 * A worker that never ran a task is not counted (a miss, never a false
 * finding). Ended workers (THREAD_START's end) leave the count.
 *
 * Only pools whose submitted tasks are independent and wait on the pool
 * itself for a free worker: multiprocessing Pool / ThreadPool, the
 * concurrent.futures executors and joblib.Parallel, where idle workers beside
 * queued tasks come from how the program cut its work (chunksize, batch_size).
 * A dask graph's tasks wait on their dependencies and on the scheduler, which
 * places them (ipyparallel's likewise): "submitted, not started" says
 * nothing about idle workers there, so those pools stay silent.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding } from './finding';
import type { Names } from './names';
import { BEGIN as BEGIN_ } from './timeOrder';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

const MIN_IDLE_NS = 500e6;

const POOL_ADVICE = 'Pool.map and starmap cut the input into chunks and each chunk runs on one worker, item after item: the items behind a slow one wait on its worker while the other workers have nothing left. For tasks of uneven length use chunksize=1 (or imap_unordered with chunksize=1), put the slow items first, or split a long task into smaller ones.';
const EXECUTOR_ADVICE = 'Executor.map with chunksize > 1 (ProcessPoolExecutor) sends the items in chunks and each chunk runs on one worker, item after item: the items behind a slow one wait on its worker while the other workers have nothing left. For tasks of uneven length keep chunksize=1 (or submit the tasks one by one), put the slow items first, or split a long task into smaller ones.';
const JOBLIB_ADVICE = 'joblib.Parallel hands the calls to its workers in batches (batch_size="auto" makes batches of quick calls bigger) and a batch runs on one worker, call after call: the calls behind a slow one wait on its worker while the other workers have nothing left. For calls of uneven length set batch_size=1, put the slow calls first, or split a long call into smaller ones.';

/** The explanation for a pool of this OBJECT type, or undefined for pools whose scheduler places the tasks (dask, ipyparallel) and unknown ones. */
function adviceFor(type: string | undefined): string | undefined {
  switch (type) {
    case 'Pool':
    case 'ThreadPool':
      return POOL_ADVICE;
    case 'ThreadPoolExecutor':
    case 'ProcessPoolExecutor':
      return EXECUTOR_ADVICE;
    case 'joblib.Parallel':
      return JOBLIB_ADVICE;
    default:
      return undefined;
  }
}
const MIN_SHARE = 0.1;

interface PoolState {
  queued: number;
  workers: Set<number>;
  /** Every worker it ever had (workers that ended leave `workers`). */
  allWorkers: Set<number>;
  busy: Map<number, number>; // worker thread → open runs (a chunk runs its items one by one)
  last: number;
  firstSubmit: number;
  lastEnd: number;
  idleQueuedNs: number;
  capacityNs: number;
  /** Worker → task runs (for the longest one). */
  longest: { row: number; ns: number };
  submitRow: number;
}

export class IdleWorkers {
  private readonly pools = new Map<number, PoolState>();
  private readonly taskPool = new Map<number, number>();
  private readonly queuedTasks = new Set<number>();

  constructor(private readonly store: TraceStore, private readonly names: Names) {}

  private pool(id: number, time: number): PoolState {
    let p = this.pools.get(id);
    if (!p) {
      this.pools.set(id, (p = {
        queued: 0, workers: new Set(), allWorkers: new Set(), busy: new Map(), last: time, firstSubmit: Infinity, lastEnd: -Infinity,
        idleQueuedNs: 0, capacityNs: 0, longest: { row: -1, ns: 0 }, submitRow: -1,
      }));
    }
    return p;
  }

  /** Accumulates idle-while-queued time up to `time`. */
  private advance(p: PoolState, time: number): void {
    const dt = time - p.last;
    if (dt > 0) {
      // Workers that ended leave `workers`; those still busy are in `busy` (a worker's runs are counted).
      let busyWorkers = 0;
      if (p.busy.size <= 8) {
        for (const w of p.busy.keys()) if (p.workers.has(w)) busyWorkers++;
      } else busyWorkers = p.busy.size;
      const idle = Math.max(0, p.workers.size - busyWorkers);
      if (p.queued > 0) p.idleQueuedNs += dt * Math.min(p.queued, idle);
      if (p.queued > 0 || p.busy.size > 0) p.capacityNs += dt * p.workers.size;
    }
    p.last = Math.max(p.last, time);
  }

  point(row: number, phase: number, time: number): void {
    const s = this.store;
    const kind = s.kind[row];
    const obj = s.obj[row];
    if (phase === BEGIN) {
      switch (kind) {
        case K.TASK_SUBMIT: {
          const p = this.pool(s.a[row], time);
          this.advance(p, time);
          p.queued++;
          p.firstSubmit = Math.min(p.firstSubmit, time);
          if (p.submitRow < 0) p.submitRow = row;
          this.taskPool.set(obj, s.a[row]);
          this.queuedTasks.add(obj);
          return;
        }
        case K.TASK_RUN: {
          const id = this.taskPool.get(obj);
          if (id === undefined) return;
          const p = this.pool(id, time);
          this.advance(p, time);
          if (this.queuedTasks.delete(obj)) p.queued--;
          const t = s.thread[row];
          p.workers.add(t);
          p.allWorkers.add(t);
          p.busy.set(t, (p.busy.get(t) ?? 0) + 1);
          return;
        }
        default:
          return;
      }
    }
    if (kind === K.TASK_RUN) {
      const id = this.taskPool.get(obj);
      if (id === undefined) return;
      const p = this.pool(id, time);
      this.advance(p, time);
      const t = s.thread[row];
      const n = (p.busy.get(t) ?? 1) - 1;
      if (n > 0) p.busy.set(t, n);
      else p.busy.delete(t);
      p.lastEnd = Math.max(p.lastEnd, time);
      if (time - s.ts[row] > p.longest.ns) p.longest = { row, ns: time - s.ts[row] };
    } else if (kind === K.THREAD_START) {
      // A worker that ended is no longer idle.
      for (const p of this.pools.values()) {
        if (p.workers.has(s.thread[row])) {
          this.advance(p, time);
          p.workers.delete(s.thread[row]);
        }
      }
    }
  }

  findings(): Finding[] {
    const s = this.store;
    const n = this.names;
    const out: Finding[] = [];
    for (const [id, p] of this.pools) {
      if (p.idleQueuedNs < MIN_IDLE_NS || p.idleQueuedNs < MIN_SHARE * p.capacityNs) continue;
      const explanation = adviceFor(s.objects.get(id)?.type);
      if (explanation === undefined) continue;
      const name = n.objectName(id);
      const idleS = p.idleQueuedNs / 1e9;
      const longRow = p.longest.row;
      const sites = [];
      if (p.submitRow >= 0) {
        const site = n.site(p.submitRow, `submits the tasks to ${name}`);
        if (site) sites.push(site);
      }
      const longTask = longRow >= 0 ? `${s.strings[s.a[longRow]] ?? 'a task'}(${s.strings[s.b[longRow]] ?? ''})` : '';
      out.push({
        id: `idle-workers:${id}`,
        kind: 'idle-workers',
        severity: 'warning',
        message: `Idle workers in ${name}: workers sat idle for ${idleS.toFixed(1)} worker-seconds while tasks were queued${longRow >= 0 ? ` (the longest task, ${longTask}, ran ${(p.longest.ns / 1e9).toFixed(1)} s on ${n.threadName(s.thread[longRow])})` : ''}.`,
        explanation,
        parties: [...p.allWorkers].map((t) => n.party(t)),
        objects: [n.object(id)],
        sites,
        window: { startTs: Number.isFinite(p.firstSubmit) ? p.firstSubmit : p.last, endTs: Math.max(p.last, p.lastEnd) },
        events: longRow >= 0 ? [longRow] : [],
        edges: [],
        details: { idleWorkerMs: Math.round(idleS * 1000), share: Math.round((p.idleQueuedNs / Math.max(1, p.capacityNs)) * 100) / 100, workers: p.allWorkers.size },
      });
    }
    return out;
  }
}
