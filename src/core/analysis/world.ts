/**
 * The state of the run at the current point of the time-ordered stream: which
 * threads live, what each one waits in (innermost open wait), which locks are
 * held by whom, which processes have ended. Every analysis reads it; only the
 * engine moves it forward (before the analyses see a point).
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { TASK_WAIT, Tasks } from './tasks';
import { BEGIN as BEGIN_ } from './timeOrder';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

/** Record kinds that block the calling thread while their span is open. */
export const WAIT_KINDS: ReadonlySet<number> = new Set<number>([
  K.LOCK_WAIT, K.COND_WAIT, K.EVENT_WAIT, K.BARRIER_WAIT, K.QUEUE_PUT, K.QUEUE_GET,
  K.PIPE_SEND, K.PIPE_RECV, K.QUEUE_JOIN, K.THREAD_JOIN, K.PROCESS_JOIN, TASK_WAIT,
]);
/** WAIT_KINDS as a table indexed by kind (the hot path looks it up for every point). */
export const IS_WAIT = new Uint8Array(256);
for (const k of WAIT_KINDS) IS_WAIT[k] = 1;

export class World {
  /** Per store thread: 0 not started, 1 alive, 2 ended. */
  readonly life: number[] = [];
  /** Per store thread: its open waits, innermost last. */
  readonly waits: number[][] = [];
  /** Per store thread: open SLEEP rows (a sleeping thread does not want the CPU). */
  readonly sleeping: number[] = [];
  /** Per store thread: open LOCK_HOLD rows. */
  readonly heldBy: number[][] = [];
  /** Lock object id → open LOCK_HOLD rows (a semaphore can have several). */
  readonly holders = new Map<number, number[]>();
  /** Lock object id → threads waiting on it (open LOCK_WAIT). */
  readonly lockWaiters = new Map<number, number[]>();
  /** Locks released by a thread that did not take them (multiprocessing locks across processes, semaphores as signals). */
  readonly foreignReleased = new Set<number>();
  /** pid → its live threads (store thread indices). */
  readonly liveThreads = new Map<number, Set<number>>();
  /** pid → time its PROCESS_EXIT was seen. */
  readonly exited = new Map<number, number>();
  /** pid → multiprocessing children started (PROCESS_SPAWN) whose first thread has not appeared yet. */
  readonly startingChildren = new Set<number>();
  /** pid:ident → live thread (idents are unique among a process's live threads). */
  readonly liveByIdent = new Map<string, number>();
  /** pid:ident → threads with that ident that ended, oldest first. */
  readonly endedByIdent = new Map<string, number[]>();
  /** Object id → internal (stdlib helper) threads that used it: they count as possible wakers of waits on it. */
  readonly internalUsers = new Map<number, Set<number>>();
  /** pid → live user threads (not internal) that are not inside a wait: any of them could wake anyone. */
  readonly freeCount = new Map<number, number>();
  /** Sum of freeCount over every process. */
  freeTotal = 0;
  /** Queue object id → threads that put on it (the first few): a get whose producers all ended says so. */
  readonly putters = new Map<number, Set<number>>();
  /** Pool and executor tasks: runners, done, wait groups, workers. */
  readonly tasks: Tasks;
  now = -Infinity;

  constructor(private readonly store: TraceStore) {
    this.tasks = new Tasks(store);
  }

  /** Per thread: 1 internal, 2 not, 0 not known yet (cached once the thread has started). */
  private internal = new Uint8Array(64);

  isInternal(t: number): boolean {
    const cached = t < this.internal.length ? this.internal[t] : 0;
    if (cached !== 0) return cached === 1;
    const th = this.store.threads[t];
    if (!th) return false;
    const yes = th.internal || (this.store.processes[th.process]?.internal ?? false);
    if (this.life[t] === 1) {
      if (t >= this.internal.length) {
        const next = new Uint8Array(Math.max(t + 1, this.internal.length * 2));
        next.set(this.internal);
        this.internal = next;
      }
      this.internal[t] = yes ? 1 : 2;
    }
    return yes;
  }

  alive(t: number): boolean {
    return this.life[t] === 1;
  }

  currentWait(t: number): number {
    const w = this.waits[t];
    return w && w.length > 0 ? w[w.length - 1] : -1;
  }

  private start(t: number): void {
    if (this.life[t] !== undefined && this.life[t] !== 0) return;
    this.life[t] = 1;
    const th = this.store.threads[t];
    if (!th) return;
    let set = this.liveThreads.get(th.pid);
    if (!set) this.liveThreads.set(th.pid, (set = new Set()));
    set.add(t);
    this.liveByIdent.set(`${th.pid}:${th.ident}`, t);
    this.startingChildren.delete(th.pid);
    if ((this.waits[t]?.length ?? 0) === 0) this.countFree(t, 1);
  }

  private revive(t: number): void {
    const th = this.store.threads[t];
    if (!th) return;
    const key = `${th.pid}:${th.ident}`;
    if (this.liveByIdent.has(key)) return; // its ident belongs to a newer thread: not this one
    this.life[t] = 1;
    this.liveThreads.get(th.pid)?.add(t) ?? this.liveThreads.set(th.pid, new Set([t]));
    this.liveByIdent.set(key, t);
    const ended = this.endedByIdent.get(key);
    if (ended) {
      const i = ended.lastIndexOf(t);
      if (i >= 0) ended.splice(i, 1);
    }
    if ((this.waits[t]?.length ?? 0) === 0) this.countFree(t, 1);
  }

  /** Counts a user thread becoming free (+1) or busy waiting / gone (-1). */
  private countFree(t: number, d: number): void {
    if (this.isInternal(t)) return;
    const pid = this.store.threads[t]?.pid;
    if (pid === undefined) return;
    this.freeCount.set(pid, (this.freeCount.get(pid) ?? 0) + d);
    this.freeTotal += d;
  }

  /** Free user threads in a process (or in all of them), other than `except`. */
  freeIn(pid: number | null, except: number): number {
    const n = pid === null ? this.freeTotal : this.freeCount.get(pid) ?? 0;
    const exceptFree = this.alive(except) && (this.waits[except]?.length ?? 0) === 0 && !this.isInternal(except);
    const samePid = pid === null || this.store.threads[except]?.pid === pid;
    return n - (exceptFree && samePid ? 1 : 0);
  }

  private finishThread(t: number): void {
    if (this.life[t] !== 1) return;
    if ((this.waits[t]?.length ?? 0) === 0) this.countFree(t, -1);
    this.life[t] = 2;
    const th = this.store.threads[t];
    if (!th) return;
    this.liveThreads.get(th.pid)?.delete(t);
    const key = `${th.pid}:${th.ident}`;
    if (this.liveByIdent.get(key) === t) this.liveByIdent.delete(key);
    const ended = this.endedByIdent.get(key);
    if (ended) ended.push(t);
    else this.endedByIdent.set(key, [t]);
  }

  /** Marks every thread of a process ended (the process is gone). */
  endProcess(pid: number): void {
    for (const t of [...(this.liveThreads.get(pid) ?? [])]) this.finishThread(t);
    this.startingChildren.delete(pid);
  }

  /** The thread a THREAD_JOIN row names: the live one with its ident, else those that ended with it. */
  joinTargets(joinRow: number): number[] {
    const s = this.store;
    const th = s.threads[s.thread[joinRow]];
    if (!th) return [];
    const key = `${th.pid}:${s.obj[joinRow]}`;
    const live = this.liveByIdent.get(key);
    if (live !== undefined) return [live];
    return this.endedByIdent.get(key) ?? [];
  }

  apply(row: number, phase: number, time: number): void {
    const s = this.store;
    const kind = s.kind[row];
    if (kind >= 200) return; // CPU samples: no state
    const t = s.thread[row];
    this.now = time;
    this.tasks.point(row, phase);
    if (phase === BEGIN) {
      if (this.life[t] === undefined || this.life[t] === 0) this.start(t);
      // A main thread's span ends with the process's exit record, but the interpreter's exit
      // path still runs on it (multiprocessing joins its queue feeders there): it lives again.
      else if (this.life[t] === 2 && IS_WAIT[kind] === 1) this.revive(t);
      if (kind === K.THREAD_START) return;
      if (IS_WAIT[kind] === 1) {
        if ((this.waits[t]?.length ?? 0) === 0 && this.life[t] === 1) this.countFree(t, -1);
        push(this.waits, t, row);
      }
      if (s.obj[row] !== 0 && this.isInternal(t)) {
        let users = this.internalUsers.get(s.obj[row]);
        if (!users) this.internalUsers.set(s.obj[row], (users = new Set()));
        users.add(t);
      }
      switch (kind) {
        case K.LOCK_HOLD:
          push(this.heldBy, t, row);
          pushMap(this.holders, s.obj[row], row);
          break;
        case K.LOCK_WAIT:
          pushMap(this.lockWaiters, s.obj[row], t);
          break;
        case K.QUEUE_PUT: {
          const set = this.putters.get(s.obj[row]);
          if (!set) this.putters.set(s.obj[row], new Set([t]));
          else if (set.size < 16) set.add(t);
          break;
        }
        case K.LOCK_RELEASE: {
          // Ends the oldest open hold of this lock by another thread (a
          // multiprocessing lock released by another process keeps its hold open).
          this.foreignReleased.add(s.obj[row]);
          const hs = this.holders.get(s.obj[row]);
          if (hs && hs.length > 0) {
            const h = hs.shift()!;
            remove(this.heldBy[s.thread[h]], h);
          }
          break;
        }
        case K.SLEEP:
          this.sleeping[t] = (this.sleeping[t] ?? 0) + 1;
          break;
        case K.PROCESS_SPAWN:
          if (!this.liveThreads.get(s.obj[row])?.size && !this.exited.has(s.obj[row])) this.startingChildren.add(s.obj[row]);
          break;
        case K.PROCESS_EXIT: {
          const th = s.threads[t];
          if (th) this.exited.set(th.pid, time);
          break;
        }
        default:
          break;
      }
      return;
    }
    // The end of a span.
    if (kind === K.THREAD_START) {
      this.finishThread(t);
      return;
    }
    if (IS_WAIT[kind] === 1) {
      const ws = this.waits[t];
      if (ws && ws.includes(row)) {
        remove(ws, row);
        if (ws.length === 0 && this.life[t] === 1) this.countFree(t, 1);
      }
    }
    switch (kind) {
      case K.LOCK_HOLD: {
        remove(this.heldBy[t], row);
        const hs = this.holders.get(s.obj[row]);
        if (hs) {
          remove(hs, row);
          if (hs.length === 0) this.holders.delete(s.obj[row]);
        }
        break;
      }
      case K.LOCK_WAIT: {
        const ws = this.lockWaiters.get(s.obj[row]);
        if (ws) {
          remove(ws, t);
          if (ws.length === 0) this.lockWaiters.delete(s.obj[row]);
        }
        break;
      }
      case K.SLEEP:
        this.sleeping[t] = Math.max(0, (this.sleeping[t] ?? 0) - 1);
        break;
      case K.PROCESS_SPAWN:
        // start() returned: the child exists; if it never shows up it is untraced.
        break;
      default:
        break;
    }
  }
}

function push(lists: number[][], i: number, v: number): void {
  const l = lists[i];
  if (l) l.push(v);
  else lists[i] = [v];
}

function pushMap(map: Map<number, number[]>, k: number, v: number): void {
  const l = map.get(k);
  if (l) l.push(v);
  else map.set(k, [v]);
}

export function remove(list: number[] | undefined, v: number): void {
  if (!list) return;
  const i = list.lastIndexOf(v);
  if (i >= 0) list.splice(i, 1);
}
