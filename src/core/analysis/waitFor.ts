/**
 * The wait-for graph at the current moment: for a thread inside a wait, who
 * could end that wait (its wakers), and the set of threads that can never
 * be woken (each waits, and every one of its wakers is in the set or is a
 * thread that ended holding what it waits for).
 *
 * Wakers by wait: a lock → its holders (and anyone in scope when the lock has
 * been released by threads that did not take it: semaphores as signals,
 * multiprocessing locks released across processes); a join → the joined
 * thread / the child process's main thread; a condition, event, barrier,
 * queue, pipe → any other live thread in scope (the process for threading
 * objects, every process for multiprocessing and Manager objects). A thread
 * that runs, sleeps or is about to start can wake anything: its presence
 * keeps a set from being stuck, which is what keeps this quiet on programs
 * that work.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { TASK_WAIT } from './tasks';
import type { World } from './world';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;

export interface Wakers {
  /** Threads that could end the wait. */
  threads: number[];
  /** The wait cannot be judged (a lock nobody is known to hold, a join target that ended…): never stuck. */
  free: boolean;
  /** Dead wakers keep the waiter stuck (a lock's holder that ended without releasing). */
  deadIsStuck: boolean;
  /** Waits anyone in scope could end (condition, event, queue…): a timeout there is polling. */
  anyone: boolean;
}

const FREE: Wakers = { threads: [], free: true, deadIsStuck: false, anyone: false };

/** Objects shared between processes: multiprocessing and Manager objects, pipes (channel ids). */
export function crossProcess(store: TraceStore, obj: number): boolean {
  const type = store.objects.get(obj)?.type ?? '';
  if (type.startsWith('multiprocessing.') || type.startsWith('Manager.')) return true;
  return obj >= 2 ** 51; // channel ids (2**52 | …) and shared-memory / Manager ids
}

export class WaitFor {
  constructor(private readonly store: TraceStore, private readonly world: World) {}

  /** Live threads that could act on `obj` for a waiter (excluding the waiter); null when one of them is free (not waiting) or a child process is starting. */
  private anyoneInScope(waiter: number, obj: number): number[] | null {
    const s = this.store;
    const w = this.world;
    const th = s.threads[waiter];
    if (!th) return null;
    const cross = crossProcess(s, obj);
    // Fast path: a user thread in scope that is not waiting can wake anyone.
    if (w.freeIn(cross ? null : th.pid, waiter) > 0) return null;
    const out: number[] = [];
    const add = (pid: number): void => {
      for (const t of w.liveThreads.get(pid) ?? []) if (t !== waiter && !w.isInternal(t)) out.push(t);
    };
    if (cross) {
      if (w.startingChildren.size > 0) return null;
      for (const pid of w.liveThreads.keys()) add(pid);
    } else {
      add(th.pid);
    }
    for (const t of w.internalUsers.get(obj) ?? []) if (t !== waiter && w.alive(t)) out.push(t);
    return out;
  }

  wakers(waiter: number, row: number): Wakers {
    const s = this.store;
    const w = this.world;
    const obj = s.obj[row];
    switch (s.kind[row]) {
      case K.LOCK_WAIT: {
        const holds = w.holders.get(obj);
        if (!holds || holds.length === 0) return FREE;
        const threads = holds.map((h) => s.thread[h]);
        if (w.foreignReleased.has(obj)) {
          const others = this.anyoneInScope(waiter, obj);
          if (others === null) return FREE;
          threads.push(...others);
        }
        return { threads, free: false, deadIsStuck: true, anyone: false };
      }
      case K.THREAD_JOIN: {
        const th = s.threads[s.thread[row]];
        const live = th ? w.liveByIdent.get(`${th.pid}:${obj}`) : undefined;
        if (live === undefined || live === waiter) return FREE;
        return { threads: [live], free: false, deadIsStuck: false, anyone: false };
      }
      case K.PROCESS_JOIN: {
        // The child ends when its threads do: its main thread, else (in its exit path) those left.
        const p = s.processByPid(obj);
        if (!p || w.startingChildren.has(obj)) return FREE;
        const main = p.mainThread;
        if (main >= 0 && w.alive(main)) return { threads: [main], free: false, deadIsStuck: false, anyone: false };
        const live = [...(w.liveThreads.get(obj) ?? [])].filter((t) => !s.threads[t]?.daemon);
        if (live.length === 0) return FREE;
        return { threads: live, free: false, deadIsStuck: false, anyone: false };
      }
      case K.COND_WAIT:
      case K.EVENT_WAIT:
      case K.BARRIER_WAIT:
      case K.QUEUE_GET:
      case K.QUEUE_PUT:
      case K.QUEUE_JOIN:
      case K.PIPE_SEND:
      case K.PIPE_RECV: {
        const others = this.anyoneInScope(waiter, obj);
        if (others === null) return FREE;
        return { threads: others, free: false, deadIsStuck: false, anyone: true };
      }
      case TASK_WAIT:
        return this.taskWakers(waiter, row);
      default:
        return FREE;
    }
  }

  /**
   * A wait on pool / executor tasks: the threads running the tasks it waits
   * for, or, for a task not started yet, every worker of its pool. All-of
   * waits need one task: the first unfinished one is judged (if it can never
   * finish, neither can the wait); any-of waits need all of them.
   */
  private taskWakers(waiter: number, row: number): Wakers {
    const tasks = this.world.tasks;
    const ids = tasks.idsOf(row);
    if (!ids) return FREE;
    const open = ids.filter((id) => !tasks.task(id)?.done);
    if (open.length === 0) return FREE;
    const judged = this.store.a[row] === 2 ? open : open.slice(0, 1);
    const threads: number[] = [];
    for (const id of judged) {
      const task = tasks.task(id);
      if (!task) return FREE; // not submitted yet (a Pool job still being fed)
      if (task.runner >= 0) {
        threads.push(task.runner);
        continue;
      }
      const workers = [...tasks.workersOf(task.pool)].filter((t) => this.world.alive(t));
      if (workers.length === 0) return FREE; // a worker may still be started for it
      threads.push(...workers);
    }
    return { threads, free: false, deadIsStuck: false, anyone: false };
  }

  /**
   * The threads `start` transitively waits for, if none of them can move:
   * every one is inside a wait whose wakers are all in the set (or ended
   * holding what is waited for). Null as soon as one can move.
   */
  stuckClosure(start: number): Set<number> | null {
    const w = this.world;
    const seen = new Set<number>([start]);
    const queue = [start];
    while (queue.length > 0) {
      const x = queue.pop()!;
      if (!w.alive(x)) return null;
      if ((w.sleeping[x] ?? 0) > 0) return null;
      const row = w.currentWait(x);
      if (row < 0) return null;
      const wk = this.wakers(x, row);
      if (wk.free) return null;
      for (const y of wk.threads) {
        if (!w.alive(y)) {
          if (wk.deadIsStuck) continue;
          return null;
        }
        if (!seen.has(y)) {
          seen.add(y);
          queue.push(y);
        }
      }
    }
    return seen;
  }
}
