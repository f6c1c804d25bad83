/**
 * deadlock among asyncio tasks: a set of tasks none of which can ever be
 * resumed (asyncWaitFor.ts), e.g. two tasks each awaiting an asyncio.Lock
 * the other holds, or tasks awaiting each other. Checked when an await
 * begins. An episode lasts until one of its awaits ends: if what it awaited
 * had come (the lock released, the task ended) it was no deadlock and is
 * dropped; otherwise the await was cancelled (asyncio.wait_for's timeout,
 * task.cancel()) and the deadlock is reported with how long it lasted. An
 * episode still open at the end of the trace lasted until then.
 */
import { K } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingEdge, FindingObject, FindingParty, FindingSite } from './finding';
import { AWAIT, AsyncWaitFor, type TaskKey } from './asyncWaitFor';
import type { Names } from './names';
import { TASK_WAIT_MEMBER } from './tasks';
import { BEGIN } from './timeOrder';

interface Party {
  task: TaskKey;
  wait: number;
  /** Tasks that could resume it (in the set), and the hold rows blocking a lock await. */
  wakers: TaskKey[];
  blockers: number[];
}

interface Episode {
  key: string;
  parties: Party[];
  startTs: number;
  endTs: number;
  cause: 'open' | 'cancelled' | 'woken' | 'gone';
}

/** A live deadlock of one task awaiting a lock it holds itself is reported once it lasted this long (another task may release it). */
const SELF_NS = 1e9;

export class AsyncDeadlocks {
  private readonly graph: AsyncWaitFor;
  private readonly episodes: Episode[] = [];
  private readonly activeOf = new Map<TaskKey, Episode>();
  private final = false;

  constructor(private readonly store: TraceStore, private readonly names: Names) {
    this.graph = new AsyncWaitFor(store);
  }

  point(row: number, phase: number, time: number): void {
    const kind = this.store.kind[row];
    if (kind !== K.ASYNC_WAIT && kind !== K.ASYNC_HOLD && kind !== K.ASYNC_END && kind !== K.ASYNC_CREATE && kind !== TASK_WAIT_MEMBER) return;
    if (kind === K.ASYNC_WAIT && phase !== BEGIN) {
      const task = this.graph.taskOf(row);
      const ep = this.activeOf.get(task);
      const party = ep?.parties.find((p) => p.wait === row);
      if (ep && party) this.close(ep, time, this.stillBlocked(party) ? 'cancelled' : 'woken');
    }
    const started = this.graph.apply(row, phase);
    if (started !== undefined && !this.activeOf.has(started)) this.check(started, time);
  }

  /** Whether what the party awaited had still not come when its await ended. */
  private stillBlocked(p: Party): boolean {
    const g = this.graph;
    if (this.store.b[p.wait] === AWAIT.LOCK) return p.blockers.every((h) => g.holdOf.get(`${g.pidOf(h)}:${this.store.obj[h]}`) === h);
    return p.wakers.every((t) => !g.ended.has(t));
  }

  private check(task: TaskKey, time: number): void {
    const closure = this.graph.stuckClosure(task);
    if (!closure) return;
    for (const x of closure) {
      const ep = this.activeOf.get(x);
      if (ep) {
        // It joins an episode already stuck (it awaits one of its tasks).
        for (const y of closure) if (!this.activeOf.has(y)) this.add(ep, y);
        return;
      }
    }
    const ep: Episode = { key: '', parties: [], startTs: time, endTs: NaN, cause: 'open' };
    for (const x of closure) this.add(ep, x);
    const s = this.store;
    ep.key = ep.parties.map((p) => `${s.b[p.wait]}:${s.a[p.wait]}:${s.site[p.wait]}`).sort().join(',');
    this.episodes.push(ep);
  }

  private add(ep: Episode, task: TaskKey): void {
    const row = this.graph.waitOf.get(task)!;
    const wk = this.graph.wakers(task, row)!;
    ep.parties.push({ task, wait: row, wakers: wk.tasks, blockers: wk.blockers });
    this.activeOf.set(task, ep);
  }

  private close(ep: Episode, time: number, cause: Episode['cause']): void {
    if (ep.cause !== 'open') return;
    ep.cause = cause;
    ep.endTs = time;
    for (const p of ep.parties) if (this.activeOf.get(p.task) === ep) this.activeOf.delete(p.task);
  }

  /** The trace is complete: episodes whose process is gone ended with it. */
  finish(): void {
    this.final = true;
    for (const ep of this.episodes) {
      if (ep.cause !== 'open') continue;
      const th = this.store.threads[this.store.thread[ep.parties[0].wait]];
      const proc = th ? this.store.processes[th.process] : undefined;
      if (proc?.exited && proc.endTs >= ep.startTs) this.close(ep, proc.endTs, 'gone');
    }
  }

  findings(now: number): Finding[] {
    const byKey = new Map<string, { first: Episode; count: number }>();
    for (const ep of this.episodes) {
      if (!this.reportable(ep, now)) continue;
      const g = byKey.get(ep.key);
      if (g) g.count++;
      else byKey.set(ep.key, { first: ep, count: 1 });
    }
    return [...byKey.values()].map(({ first, count }) => this.describe(first, count, now));
  }

  private selfOnly(ep: Episode): boolean {
    return ep.parties.length === 1 && ep.parties[0].wakers.every((t) => t === ep.parties[0].task);
  }

  private reportable(ep: Episode, now: number): boolean {
    switch (ep.cause) {
      case 'woken':
        return false;
      case 'cancelled':
        return !this.selfOnly(ep); // a task trying, with a timeout, a lock it holds is testing it
      case 'gone':
        return true;
      default:
        return this.final || !this.selfOnly(ep) || now - ep.startTs >= SELF_NS;
    }
  }

  /** Still holding the program: open, and (on a complete trace) its process had not exited. */
  private ongoing(ep: Episode): boolean {
    if (ep.cause !== 'open') return false;
    if (!this.final) return true;
    const th = this.store.threads[this.store.thread[ep.parties[0].wait]];
    return !(th && this.store.processes[th.process]?.exited);
  }

  /** "task fetch-a (worker_a)": the task's name and its coroutine. */
  private taskName(task: TaskKey): string {
    const row = this.graph.created.get(task);
    if (row === undefined) return `task ${task.split(':')[1]}`;
    const s = this.store;
    const name = this.names.text(s.a[row]);
    const coro = this.names.text(s.b[row]);
    return `task ${name || task.split(':')[1]}${coro ? ` (${coro})` : ''}`;
  }

  private what(p: Party): string {
    const s = this.store;
    const row = p.wait;
    if (s.b[row] === AWAIT.LOCK) {
      const holder = p.wakers[0];
      const lock = this.names.objectName(s.a[row]);
      return holder === p.task ? `awaits ${lock}, which it holds itself` : `awaits ${lock} held by ${this.taskName(holder)}`;
    }
    if (s.b[row] === AWAIT.TASK) return `awaits ${this.taskName(p.wakers[0])}`;
    return `awaits a group of tasks, among them ${p.wakers.map((t) => this.taskName(t)).join(', ')}`;
  }

  private describe(ep: Episode, count: number, now: number): Finding {
    const s = this.store;
    const n = this.names;
    // The parties in the order of the cycle: each one's waker next.
    const order: Party[] = [];
    const byTask = new Map(ep.parties.map((p) => [p.task, p]));
    let cur: Party | undefined = ep.parties.reduce((a, b) => (s.ts[a.wait] <= s.ts[b.wait] ? a : b));
    while (cur && !order.includes(cur)) {
      order.push(cur);
      cur = byTask.get(cur.wakers[0]);
    }
    for (const p of ep.parties) if (!order.includes(p)) order.push(p);
    const end = Number.isNaN(ep.endTs) ? (this.final ? s.lastTs() : now) : ep.endTs;
    const lastedMs = Math.max(0, Math.round((end - ep.startTs) / 1e6));
    const endedBy = ep.cause === 'cancelled'
      ? 'a cancelled await (a timeout: asyncio.wait_for, asyncio.timeout; or task.cancel())'
      : ep.cause === 'gone' ? 'the process exiting' : this.final ? 'the end of the trace' : '';
    const tail = ep.cause === 'cancelled' ? `lasted ${lastedMs} ms, ended by ${endedBy}` : endedBy ? `blocked ${lastedMs} ms, until ${endedBy}` : `still blocked after ${lastedMs} ms`;
    const phrases = order.map((p) => `${this.taskName(p.task)} ${this.what(p)}${n.at(p.wait)}`);
    const sites: FindingSite[] = [];
    const events: number[] = [];
    const edges: FindingEdge[] = [];
    const objects = new Map<number, FindingObject>();
    const addSite = (row: number, role: string): void => {
      if (!events.includes(row)) events.push(row);
      const site = n.site(row, role);
      if (site && !sites.some((x) => x.file === site.file && x.line === site.line && x.role === site.role)) sites.push(site);
    };
    for (const p of order) {
      addSite(p.wait, `${this.taskName(p.task)} ${this.what(p)}`);
      if (s.b[p.wait] === AWAIT.LOCK && s.a[p.wait] !== 0) objects.set(s.a[p.wait], n.object(s.a[p.wait], 'asyncio.Lock'));
      for (const h of p.blockers) addSite(h, `${this.taskName(p.wakers[0])} takes ${n.objectName(s.obj[h])}`);
    }
    for (const p of order) {
      for (const h of p.blockers) edges.push({ fromRow: p.wait, toRow: h, label: `awaits ${n.objectName(s.obj[h])}` });
      if (s.b[p.wait] !== AWAIT.LOCK) {
        for (const t of p.wakers) {
          const q = byTask.get(t);
          if (q) edges.push({ fromRow: p.wait, toRow: q.wait, label: 'awaits' });
        }
      }
    }
    const locks = order.every((p) => s.b[p.wait] === AWAIT.LOCK);
    const self = this.selfOnly(ep);
    const explanation = self
      ? 'An asyncio.Lock is not reentrant: a task that awaits acquire() of a lock it already holds waits for itself forever. Do not take the lock again inside code that runs while it is held (split the function, or pass a flag).'
      : locks
        ? 'Each of these asyncio tasks holds an asyncio.Lock the next one awaits, so none of them can go on; the event loop keeps running other tasks, so the program does not crash: these tasks just never finish. Take the locks in one order in every task (for example always the first before the second), or protect the data with a single lock. asyncio.wait_for(lock.acquire(), timeout) only turns the hang into a TimeoutError.'
        : 'Each of these asyncio tasks awaits another task of the same set (directly, or through a lock that one holds), so none of them can ever be resumed. Break the cycle: a task must not await a task that awaits it back; pass results along with a Queue or a Future set once, or restructure so that one task finishes first.';
    const loopThreads = [...new Set(order.map((p) => s.thread[p.wait]))];
    const parties: FindingParty[] = order.map((p) => {
      const t = s.thread[p.wait];
      return { pid: s.threads[t]?.pid ?? 0, thread: t, name: `${this.taskName(p.task)} on ${n.threadName(t)}` };
    });
    const steps = order
      .flatMap((p) => p.blockers.map((h) => ({ ts: s.ts[h], text: `${this.taskName(p.wakers[0])} took ${n.objectName(s.obj[h])}${n.at(h)}` }))
        .concat([{ ts: s.ts[p.wait], text: `${this.taskName(p.task)} ${this.what(p)}${n.at(p.wait)}` }]))
      .sort((a, b) => a.ts - b.ts)
      .map((x) => x.text);
    const times = events.map((r) => s.ts[r]);
    return {
      id: `deadlock:async:${ep.key}`,
      kind: 'deadlock',
      severity: 'error',
      message: `Deadlock among asyncio tasks: ${phrases.join('; ')} (${tail}${count > 1 ? `; ${count} times` : ''}).`,
      explanation,
      parties,
      objects: [...objects.values()],
      sites,
      window: { startTs: Math.min(ep.startTs, ...times), endTs: Math.max(end, ...times) },
      events,
      edges,
      steps,
      details: {
        lastedMs, endedBy: endedBy || 'ongoing', episodes: count, ongoing: this.ongoing(ep), shape: locks ? 'asyncio-locks' : 'asyncio-tasks',
        tasks: order.length, loopThreads: loopThreads.length,
      },
    };
  }
}
