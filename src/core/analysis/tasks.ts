/**
 * Pool and executor tasks as the analyses need them: which pool a task
 * belongs to, which thread runs it now, whether it is done, which tasks a
 * wait group holds, and which threads are a pool's workers.
 *
 * Waits on tasks are TASK_WAIT spans (events.py: obj = a task id, a = 0, or a
 * group id, a > 0; a = what ends it: 0 the task, 1 all, 2 any, 3 all or the
 * first to raise; b = how it ended: 1/2 done, 3 timed out, 4 interrupted,
 * 5 cancelled) and TASK_WAIT_MEMBER rows (obj = group, tasks a … a+b-1).
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { BEGIN as BEGIN_ } from './timeOrder';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

/** events.py numbers of the task waits (43–49 range of helper rt-semantics). */
export const TASK_WAIT = 43;
export const TASK_WAIT_MEMBER = 44;

/** Members of a group considered at most (a Pool.map over millions of items is one group). */
const MAX_MEMBERS = 10000;

interface TaskInfo {
  pool: number;
  runner: number;
  done: boolean;
  submit: number;
}

export class Tasks {
  private readonly tasks = new Map<number, TaskInfo>();
  /** Group id → ranges [first task id, count]. */
  private readonly groups = new Map<number, [number, number][]>();
  /** Pool object id → its worker threads (ran one of its tasks, or main thread of a process it started). */
  private readonly workers = new Map<number, Set<number>>();
  private readonly workerPid = new Map<number, number>();

  constructor(private readonly store: TraceStore) {}

  point(row: number, phase: number): void {
    const s = this.store;
    const kind = s.kind[row];
    const obj = s.obj[row];
    if (phase === BEGIN) {
      switch (kind) {
        case K.TASK_SUBMIT:
          this.tasks.set(obj, { pool: s.a[row], runner: -1, done: false, submit: row });
          return;
        case K.TASK_RUN: {
          const t = this.tasks.get(obj);
          if (!t) return;
          t.runner = s.thread[row];
          this.worker(t.pool, s.thread[row]);
          return;
        }
        case K.TASK_RESULT: {
          const t = this.tasks.get(obj);
          if (t) {
            t.done = true;
            t.runner = -1;
          }
          return;
        }
        case TASK_WAIT_MEMBER: {
          const list = this.groups.get(obj);
          if (list) list.push([s.a[row], s.b[row]]);
          else this.groups.set(obj, [[s.a[row], s.b[row]]]);
          return;
        }
        case K.PROCESS_SPAWN:
          if (s.a[row] !== 0) this.workerPid.set(obj, s.a[row]);
          return;
        case K.THREAD_START: {
          const th = s.threads[s.thread[row]];
          const pool = th && th.main ? this.workerPid.get(th.pid) : undefined;
          if (pool !== undefined) this.worker(pool, s.thread[row]);
          return;
        }
        default:
          return;
      }
    }
    if (kind === K.TASK_RUN) {
      const t = this.tasks.get(obj);
      if (t) {
        t.runner = -1;
        t.done = true;
      }
    }
  }

  private worker(pool: number, thread: number): void {
    const set = this.workers.get(pool);
    if (set) set.add(thread);
    else this.workers.set(pool, new Set([thread]));
  }

  task(id: number): { pool: number; runner: number; done: boolean; submit: number } | undefined {
    return this.tasks.get(id);
  }

  workersOf(pool: number): ReadonlySet<number> {
    return this.workers.get(pool) ?? new Set();
  }

  /** The task ids a TASK_WAIT row waits for (a group's, at most MAX_MEMBERS), or undefined for an unknown group. */
  idsOf(waitRow: number): number[] | undefined {
    const s = this.store;
    if (s.a[waitRow] === 0) return [s.obj[waitRow]];
    const ranges = this.groups.get(s.obj[waitRow]);
    if (!ranges) return undefined;
    return expand(ranges);
  }

  /** A wait group's task ids, for happens-before. */
  groupIds(group: number): number[] {
    return expand(this.groups.get(group) ?? []);
  }
}

function expand(ranges: [number, number][]): number[] {
  const ids: number[] = [];
  for (const [first, count] of ranges) {
    for (let i = 0; i < count && ids.length < MAX_MEMBERS; i++) ids.push(first + i);
  }
  return ids;
}
