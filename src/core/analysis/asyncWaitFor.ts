/**
 * The wait-for graph among asyncio tasks (ASYNC_WAIT / ASYNC_HOLD records,
 * events.py): which tasks could end a suspended task's await, and the set of
 * tasks that can never be resumed. Only edges the trace proves:
 *   an await on asyncio.Lock.acquire (b 12) → the task that holds the lock
 *     (ASYNC_HOLD open, a = its task id);
 *   an await on another task (b 3: `await task`, wait_for's inner task,
 *     shield) → that task, until it ends;
 *   gather / asyncio.wait(ALL_COMPLETED, FIRST_EXCEPTION) / TaskGroup exit
 *     (b 4, 5, 7, 8) → the group's first unfinished task (if it can never
 *     finish, neither can the await); FIRST_COMPLETED (b 6) → all of them.
 * Every other await (sleep, a plain future, queues, events, conditions,
 * semaphores, I/O) could be ended by something the trace does not tie to a
 * task, so it is never stuck: a task holding a lock while it sleeps keeps
 * its waiters from being a deadlock.
 */
import { K } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { TASK_WAIT_MEMBER } from './tasks';
import { BEGIN, END, END_ZERO } from './timeOrder';

/** ASYNC_WAIT b: what the task awaits (events.py). */
export const AWAIT = { TASK: 3, GATHER: 4, WAIT_ALL: 5, WAIT_FIRST: 6, WAIT_EXCEPTION: 7, TASK_GROUP: 8, LOCK: 12 } as const;

/** A task: its process and its id there (task ids are object ids of their process). */
export type TaskKey = string;

export const taskKey = (pid: number, id: number): TaskKey => `${pid}:${id}`;

export interface AsyncWakers {
  /** Tasks that could resume the await. */
  tasks: TaskKey[];
  /** The hold rows that block a lock await (the holder's ASYNC_HOLD). */
  blockers: number[];
}

export class AsyncWaitFor {
  /** Task → its open ASYNC_WAIT row. */
  readonly waitOf = new Map<TaskKey, number>();
  /** Lock (pid:obj) → its open ASYNC_HOLD row by a known task. */
  readonly holdOf = new Map<string, number>();
  readonly ended = new Set<TaskKey>();
  /** Task → ASYNC_CREATE row (its name and coroutine). */
  readonly created = new Map<TaskKey, number>();
  /** Group (pid:id) → its member tasks (TASK_WAIT_MEMBER rows written just before the await). */
  private readonly groups = new Map<string, TaskKey[]>();

  constructor(private readonly store: TraceStore) {}

  pidOf(row: number): number {
    return this.store.threads[this.store.thread[row]]?.pid ?? -1;
  }

  /** The task an ASYNC_WAIT / ASYNC_HOLD row is about. */
  taskOf(row: number): TaskKey {
    const s = this.store;
    return taskKey(this.pidOf(row), s.kind[row] === K.ASYNC_HOLD ? s.a[row] : s.obj[row]);
  }

  /** Moves the state over one point; returns the task whose await began (to be checked), if any. */
  apply(row: number, phase: number): TaskKey | undefined {
    const s = this.store;
    const kind = s.kind[row];
    if (kind === K.ASYNC_WAIT) {
      const task = this.taskOf(row);
      if (phase === BEGIN) {
        this.waitOf.set(task, row);
        return task;
      }
      if ((phase === END || phase === END_ZERO) && this.waitOf.get(task) === row) this.waitOf.delete(task);
    } else if (kind === K.ASYNC_HOLD) {
      if (s.a[row] === 0) return undefined;
      const lock = `${this.pidOf(row)}:${s.obj[row]}`;
      if (phase === BEGIN) this.holdOf.set(lock, row);
      else if (this.holdOf.get(lock) === row) this.holdOf.delete(lock);
    } else if (phase === BEGIN) {
      if (kind === K.ASYNC_END) this.ended.add(taskKey(this.pidOf(row), s.obj[row]));
      else if (kind === K.ASYNC_CREATE) this.created.set(taskKey(this.pidOf(row), s.obj[row]), row);
      else if (kind === TASK_WAIT_MEMBER && s.b[row] === 1) {
        // asyncio groups list one task per record; futures groups (ranges of pool task ids) are not tasks here.
        const g = `${this.pidOf(row)}:${s.obj[row]}`;
        const list = this.groups.get(g);
        const t = taskKey(this.pidOf(row), s.a[row]);
        if (list) list.push(t);
        else if (this.groups.size < 100000) this.groups.set(g, [t]);
      }
    }
    return undefined;
  }

  /** Who could resume the await `row` of `task`; undefined when the trace cannot tell (never stuck). */
  wakers(task: TaskKey, row: number): AsyncWakers | undefined {
    const s = this.store;
    const pid = this.pidOf(row);
    const a = s.a[row];
    switch (s.b[row]) {
      case AWAIT.LOCK: {
        if (a === 0) return undefined;
        const hold = this.holdOf.get(`${pid}:${a}`);
        if (hold === undefined) return undefined;
        return { tasks: [this.taskOf(hold)], blockers: [hold] };
      }
      case AWAIT.TASK: {
        const target = taskKey(pid, a);
        if (a === 0 || this.ended.has(target) || target === task) return undefined;
        return { tasks: [target], blockers: [] };
      }
      case AWAIT.GATHER:
      case AWAIT.WAIT_ALL:
      case AWAIT.WAIT_EXCEPTION:
      case AWAIT.TASK_GROUP:
      case AWAIT.WAIT_FIRST: {
        const members = a === 0 ? undefined : this.groups.get(`${pid}:${a}`);
        if (!members) return undefined;
        const open = members.filter((m) => !this.ended.has(m) && m !== task);
        if (open.length === 0 || open.length < members.filter((m) => !this.ended.has(m)).length) return undefined;
        return { tasks: s.b[row] === AWAIT.WAIT_FIRST ? open : open.slice(0, 1), blockers: [] };
      }
      default:
        return undefined;
    }
  }

  /** The tasks `start` transitively awaits, if none of them can ever be resumed; undefined as soon as one can. */
  stuckClosure(start: TaskKey): Set<TaskKey> | undefined {
    const seen = new Set<TaskKey>([start]);
    const queue = [start];
    while (queue.length > 0) {
      const x = queue.pop()!;
      if (this.ended.has(x)) return undefined;
      const row = this.waitOf.get(x);
      if (row === undefined) return undefined; // running or ready to run
      const wk = this.wakers(x, row);
      if (!wk) return undefined;
      for (const y of wk.tasks) {
        if (!seen.has(y)) {
          seen.add(y);
          queue.push(y);
        }
      }
    }
    return seen;
  }
}
