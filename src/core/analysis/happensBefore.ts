/**
 * Happens-before between the threads of all processes, with vector clocks
 * (Lamport / FastTrack): each thread's clock, and the clock each
 * synchronisation carries from the thread that releases to the one that
 * acquires. Edges:
 *   lock release → next acquire (LOCK_HOLD end → LOCK_HOLD begin of the same
 *     lock; LOCK_RELEASE by another thread or process), condition notify →
 *     wake-up, event set → wait return, barrier arrivals → departures,
 *   queue put → the get of that message (thread queues by message id;
 *     multiprocessing queues put → feeder's pipe send → pipe receive;
 *     Manager queues k-th put → k-th get of the same bytes), pipe send → the
 *     receive of the same bytes on the other end,
 *   thread / process start() → the child's first event, a thread's end →
 *     join() returning, a process's end → join() (or is_alive()) learning it,
 *   task submit → run, run end → result → the submitting thread (at its next
 *     event: the wait on the result is not recorded yet, and ordering more is
 *     the safe side: it can hide a race, never invent one),
 *   a Manager proxy call → its handler in the server (PROXY_CALL begin →
 *     PROXY_SERVE begin of the same call key), the handler's reply → the
 *     call's return (PROXY_SERVE end → PROXY_CALL end): what the server's
 *     threads do in between (a lock, an Event, a queue of the program's own
 *     object that the manager serves) orders its callers, in one trace and
 *     across the traces of several hosts (the keys are the same there),
 *   a TCP connection's ends (CONN_OPEN) as the two ends of a duplex pipe.
 * A synchronized Value's own per-access lock is not recorded, so it orders
 * nothing: `v.value += 1` without `with v.get_lock():` stays a race.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { BEGIN as BEGIN_ } from './timeOrder';
import { TASK_WAIT, TASK_WAIT_MEMBER } from './tasks';
import { IS_WAIT } from './world';
import { JoinResolver } from './threadJoins';
import { PairedClocks } from './pairedClocks';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

export type Clock = number[];

/** How late after the wake-up it caused a signal's record can be written (a thread may wait for the GIL in between). */
const EARLY_NS = 100e6;
/** Task results whose clocks are kept for the waits that take them. */
const MAX_RESULTS = 100000;

function join(into: Clock, from: Clock): void {
  for (let i = 0; i < from.length; i++) {
    const v = from[i];
    if (v !== undefined && (into[i] === undefined || v > into[i])) into[i] = v;
  }
}

export class HappensBefore {
  /** Per store thread: its vector clock (entry i: the last event of thread i it has seen). */
  readonly clocks: Clock[] = [];
  private readonly lockClock = new Map<number, Clock>();
  private readonly signalClock = new Map<number, Clock>(); // conditions, events, barriers
  private readonly messageClock = new Map<number, Clock>(); // message id → clock at put
  private readonly keyedPuts = new Map<string, Clock[]>(); // Manager queue obj:key → clocks, oldest first
  private readonly sends = new Map<string, Clock[]>(); // channel:key → clocks, oldest first
  private readonly partner = new Map<number, number>();
  private readonly threadSpawn = new Map<string, Clock>(); // pid:ident → parent's clock at start()
  private readonly processSpawn = new Map<number, Clock>(); // child pid → parent's clock at start()
  private readonly taskClock = new Map<number, Clock>(); // task id → submit clock, then run-end clock
  private readonly taskSubmitter = new Map<number, number>();
  /** Task id → the clock its result published (for a TASK_WAIT that returns with it). */
  private readonly resultClock = new Map<number, Clock>();
  private readonly groups = new Map<number, [number, number][]>();
  /** Thread → clock it receives at its next event (a task result reached its process). */
  private readonly pending = new Map<number, Clock>();
  private readonly threadsOf = new Map<number, number[]>(); // pid → threads seen
  private readonly joins: JoinResolver;
  /**
   * Signals not delivered yet, by `sig:obj` (event set, notify) and `rel:obj`
   * (a lock released by a thread that did not take it). The runtime writes
   * these points just after the call, so the thread they woke can be seen
   * first: a wake-up with no signal yet takes the next one early (below).
   */
  private readonly undelivered = new Map<string, number[]>();
  private readonly deliveredEarly = new Set<number>();
  /** Per thread: open waits (a lock's hold that ends while its holder waits was released by another thread). */
  private readonly waiting: number[] = [];

  /** Manager proxy calls: requests (call → handler) and replies (handler → call), by call key. */
  private readonly requests: PairedClocks;
  private readonly replies: PairedClocks;

  constructor(private readonly store: TraceStore) {
    this.joins = new JoinResolver(store);
    const later = (thread: number, c: Clock): void => {
      const p = this.pending.get(thread);
      if (p) join(p, c);
      else this.pending.set(thread, c.slice());
    };
    this.requests = new PairedClocks(later);
    this.replies = new PairedClocks(later);
  }

  clock(t: number): Clock {
    let c = this.clocks[t];
    if (!c) {
      c = this.clocks[t] = [];
      c[t] = 1;
      const th = this.store.threads[t];
      if (th) {
        const list = this.threadsOf.get(th.pid);
        if (list) list.push(t);
        else this.threadsOf.set(th.pid, [t]);
      }
    }
    return c;
  }

  /** The clock a release publishes (a copy), and the thread moves to its next epoch. */
  private release(t: number): Clock {
    const c = this.clock(t);
    const copy = c.slice();
    c[t] = (c[t] ?? 0) + 1;
    return copy;
  }

  private acquire(t: number, from: Clock | undefined): void {
    if (from) join(this.clock(t), from);
  }

  private publish(map: Map<number, Clock>, key: number, t: number): void {
    const c = this.release(t);
    const old = map.get(key);
    if (old) join(old, c);
    else map.set(key, c);
  }

  /** A row entered the stream (not delivered yet): index the signals a wake-up may need early. */
  note(row: number): void {
    const s = this.store;
    const kind = s.kind[row];
    let key: string | undefined;
    if (kind === K.EVENT_SET ? s.b[row] !== 1 : kind === K.COND_NOTIFY) key = `sig:${s.obj[row]}`;
    else if (kind === K.LOCK_RELEASE) key = `rel:${s.obj[row]}`;
    if (key === undefined) return;
    const list = this.undelivered.get(key);
    if (list) list.push(row);
    else this.undelivered.set(key, [row]);
  }

  private delivered(key: string, row: number): boolean {
    const list = this.undelivered.get(key);
    if (list) {
      const i = list.indexOf(row);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.undelivered.delete(key);
    }
    return this.deliveredEarly.delete(row);
  }

  /** Publishes now the first undelivered signal of `key` in [from, to] by another thread. */
  private early(key: string, map: Map<number, Clock>, obj: number, from: number, to: number, except: number): void {
    const list = this.undelivered.get(key);
    if (!list) return;
    const s = this.store;
    let best = -1;
    for (const r of list) {
      if (s.thread[r] === except || s.ts[r] < from || s.ts[r] > to || this.deliveredEarly.has(r)) continue;
      if (best < 0 || s.ts[r] < s.ts[best]) best = r;
    }
    if (best < 0) return;
    this.deliveredEarly.add(best);
    this.publish(map, obj, s.thread[best]);
  }

  /** Moves the clocks over one point of the time-ordered stream. */
  point(row: number, phase: number): void {
    const s = this.store;
    const kind = s.kind[row];
    if (kind >= 200) return;
    const t = s.thread[row];
    const obj = s.obj[row];
    const th = s.threads[t];
    const fresh = this.clocks[t] === undefined;
    this.clock(t);
    if (fresh && th) {
      // A thread's first event: what its start() published, or its process's.
      const spawn = this.threadSpawn.get(`${th.pid}:${th.ident}`);
      if (spawn && !th.main) {
        this.acquire(t, spawn);
        this.threadSpawn.delete(`${th.pid}:${th.ident}`);
      }
      if (th.main) this.acquire(t, this.processSpawn.get(th.pid));
    }
    const pend = this.pending.get(t);
    if (pend) {
      this.acquire(t, pend);
      this.pending.delete(t);
    }
    if (IS_WAIT[kind] === 1) this.waiting[t] = (this.waiting[t] ?? 0) + (phase === BEGIN ? 1 : -1);
    if (phase === BEGIN) {
      switch (kind) {
        case K.THREAD_SPAWN:
          if (th) this.threadSpawn.set(`${th.pid}:${obj}`, this.release(t));
          break;
        case K.PROCESS_SPAWN:
        case K.CHILD_PROCESS:
          this.processSpawn.set(obj, this.release(t));
          break;
        case K.LOCK_HOLD:
          this.early(`rel:${obj}`, this.lockClock, obj, s.ts[row], s.ts[row] + EARLY_NS, t);
          this.acquire(t, this.lockClock.get(obj));
          break;
        case K.LOCK_RELEASE:
          if (!this.delivered(`rel:${obj}`, row)) this.publish(this.lockClock, obj, t);
          break;
        case K.COND_NOTIFY:
          if (!this.delivered(`sig:${obj}`, row)) this.publish(this.signalClock, obj, t);
          break;
        case K.EVENT_SET:
          if (s.b[row] !== 1 && !this.delivered(`sig:${obj}`, row)) this.publish(this.signalClock, obj, t);
          break;
        case K.BARRIER_WAIT:
          this.publish(this.signalClock, obj, t);
          break;
        case K.QUEUE_PUT:
          if (s.b[row] & 2) push(this.keyedPuts, `${obj}:${s.a[row]}`, this.release(t));
          else if (s.a[row] !== 0) this.messageClock.set(s.a[row], this.release(t));
          break;
        case K.PIPE_OPEN:
          if (s.a[row] !== s.b[row]) {
            this.partner.set(s.a[row], s.b[row]);
            this.partner.set(s.b[row], s.a[row]);
          }
          break;
        case K.CONN_OPEN:
          // A TCP connection's ends: this end's channel (obj) and the peer's (a), as flows.ts pairs them.
          if (obj !== s.a[row]) {
            this.partner.set(obj, s.a[row]);
            this.partner.set(s.a[row], obj);
          }
          break;
        case K.PROXY_CALL:
          if (s.b[row] !== 0) this.requests.send(s.b[row], this.release(t));
          break;
        case K.PROXY_SERVE:
          if (s.b[row] !== 0) this.acquire(t, this.requests.receive(s.b[row], t));
          break;
        case K.PIPE_SEND: {
          // A queue's feeder sends what the put published; a user's send publishes its own clock.
          const carried = s.b[row] !== 0 ? this.messageClock.get(s.b[row]) : undefined;
          if (carried) this.messageClock.delete(s.b[row]);
          push(this.sends, `${obj}:${s.a[row]}`, carried ?? this.release(t));
          break;
        }
        case K.TASK_SUBMIT:
          this.taskClock.set(obj, this.release(t));
          this.taskSubmitter.set(obj, t);
          break;
        case K.TASK_RUN:
          this.acquire(t, this.taskClock.get(obj));
          break;
        case TASK_WAIT_MEMBER: {
          const list = this.groups.get(obj);
          if (list) list.push([s.a[row], s.b[row]]);
          else this.groups.set(obj, [[s.a[row], s.b[row]]]);
          break;
        }
        case K.TASK_RESULT: {
          this.acquire(t, this.taskClock.get(obj));
          this.taskClock.delete(obj);
          const submitter = this.taskSubmitter.get(obj);
          this.taskSubmitter.delete(obj);
          if (this.resultClock.size < MAX_RESULTS) this.resultClock.set(obj, this.clock(t).slice());
          if (submitter !== undefined && submitter !== t) {
            const c = this.release(t);
            const p = this.pending.get(submitter);
            if (p) join(p, c);
            else this.pending.set(submitter, c);
          }
          break;
        }
        default:
          break;
      }
      return;
    }
    // Span ends.
    switch (kind) {
      case K.LOCK_HOLD:
        if ((this.waiting[t] ?? 0) > 0 && th) {
          // Its holder is blocked: another thread released it (a Lock used as a signal), and the
          // runtime does not say which. Any thread of the process may have: publish them all.
          for (const x of this.threadsOf.get(th.pid) ?? []) if (x !== t) this.publish(this.lockClock, obj, x);
        }
        this.publish(this.lockClock, obj, t);
        break;
      case K.COND_WAIT:
      case K.EVENT_WAIT:
        if (s.a[row] === 1) {
          this.early(`sig:${obj}`, this.signalClock, obj, s.ts[row], s.end[row] + EARLY_NS, t);
          this.acquire(t, this.signalClock.get(obj));
        }
        break;
      case K.BARRIER_WAIT:
        if (s.a[row] >= 0) this.acquire(t, this.signalClock.get(obj));
        break;
      case K.QUEUE_GET: {
        if (s.b[row] & 1) break;
        if (s.b[row] & 2) {
          // Manager queue: the k-th put of these bytes (a multiprocessing queue's get was ordered at its pipe receive).
          const list = this.keyedPuts.get(`${obj}:${s.a[row]}`);
          if (list && list.length > 0) this.acquire(t, list.shift());
        } else if (s.a[row] !== 0) {
          this.acquire(t, this.messageClock.get(s.a[row]));
          this.messageClock.delete(s.a[row]);
        }
        break;
      }
      case K.PIPE_RECV: {
        if (s.b[row] === 1) break;
        const from = this.partner.get(obj) ?? obj;
        const list = this.sends.get(`${from}:${s.a[row]}`);
        if (list && list.length > 0) this.acquire(t, list.shift());
        break;
      }
      case K.TASK_RUN:
        this.taskClock.set(obj, this.release(t));
        break;
      case K.PROXY_SERVE:
        if (s.b[row] !== 0) this.replies.send(s.b[row], this.release(t));
        break;
      case K.PROXY_CALL:
        if (s.b[row] !== 0) this.acquire(t, this.replies.receive(s.b[row], t));
        break;
      case TASK_WAIT: {
        // Returned with results (b 1, 2): ordered after the tasks that finished.
        if (s.b[row] !== 1 && s.b[row] !== 2) break;
        if (s.a[row] === 0) this.acquire(t, this.resultClock.get(obj));
        else {
          let n = 0;
          for (const [first, count] of this.groups.get(obj) ?? []) {
            for (let i = 0; i < count && n < MAX_RESULTS; i++, n++) this.acquire(t, this.resultClock.get(first + i));
          }
        }
        break;
      }
      case K.THREAD_JOIN:
        if (s.a[row] === 1) for (const x of this.joins.targets(row)) this.acquire(t, this.clocks[x]);
        break;
      case K.PROCESS_JOIN:
        if (s.b[row] === 1) for (const x of this.threadsOf.get(obj) ?? []) this.acquire(t, this.clocks[x]);
        break;
      default:
        break;
    }
    if (kind === K.THREAD_START) this.joins.ended(t, s.end[row]);
  }

  /** Whether the access (thread, clock) happened before what `t` has seen. */
  ordered(thread: number, clockValue: number, t: number): boolean {
    const c = this.clocks[t];
    const v = c ? c[thread] : undefined;
    return v !== undefined && clockValue <= v;
  }
}

function push<T>(map: Map<string, T[]>, key: string, v: T): void {
  const list = map.get(key);
  if (list) list.push(v);
  else map.set(key, [v]);
}
