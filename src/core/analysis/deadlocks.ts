/**
 * deadlock: a set of threads that can never be woken, at any moment of the
 * run (waitFor.ts says when). Checked as the stream moves: when a wait
 * begins, when a lock changes hands while others wait for it, and when a
 * thread ends (its locks are then abandoned; it can no longer wake anyone).
 *
 * An episode lasts from the moment the set is stuck until one of its waits
 * ends (a timeout, Ctrl-C, the process killed) or the trace ends. Episodes
 * of the same waits are one finding. An episode is dropped when one of its
 * waits ends normally (the lock was acquired, the item arrived): something
 * the trace does not show could wake it, so it was no deadlock. Waits that
 * anyone could end (a queue get, an event, a condition) that end by their
 * own timeout are polling, not a deadlock.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding } from './finding';
import { describeEpisode, type EpisodeView, type PartyView } from './deadlockText';
import type { Names } from './names';
import { TASK_WAIT } from './tasks';
import { END as END_, END_ZERO as END_ZERO_ } from './timeOrder';
import { WaitFor } from './waitFor';
import { IS_WAIT, type World } from './world';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const END = END_;
const END_ZERO = END_ZERO_;

interface Episode extends EpisodeView {
  key: string;
  active: boolean;
  /** Why it ended: a wait failed (timeout / interrupt), one ended normally, a party went away, or still open. */
  cause: 'failed' | 'woken' | 'gone' | 'open';
  causeThread: number;
}

/** A non-lock deadlock that its own timeout ended counts only if it lasted this long. */
const MIN_TIMED_OUT_NS = 1e9;

export class Deadlocks {
  private readonly waitFor: WaitFor;
  private readonly episodes: Episode[] = [];
  /** Thread → its active episode. */
  private readonly activeOf = new Map<number, Episode>();
  /**
   * Waits of the parties of episodes a party left by ending (killed by Stop, Ctrl-C): still the
   * same deadlock, already reported. When SIGTERM reaches one of two deadlocked processes first,
   * the other is left waiting for a lock of the dead one, which is no second deadlock.
   */
  private readonly reportedWaits = new Set<number>();
  /** pid → time a KeyboardInterrupt traceback was written to its stderr. */
  private readonly interrupted = new Map<number, number>();

  constructor(private readonly store: TraceStore, private readonly world: World, private readonly names: Names) {
    this.waitFor = new WaitFor(store, world);
  }

  /** Called after the world has applied the point. */
  point(row: number, phase: number, time: number): void {
    const s = this.store;
    const kind = s.kind[row];
    const t = s.thread[row];
    if (phase === END || phase === END_ZERO) {
      if (kind === K.THREAD_START) {
        this.partyGone(t, time);
        this.afterThreadEnd(t);
      } else if (IS_WAIT[kind] === 1) {
        const ep = this.activeOf.get(t);
        if (ep && ep.waits.includes(row)) this.close(ep, time, waitFailed(s, row) ? 'failed' : 'woken', t);
      }
      return;
    }
    if (IS_WAIT[kind] === 1) {
      if (!this.activeOf.has(t)) this.check(t, time);
    } else if (kind === K.LOCK_HOLD) {
      for (const w of this.world.lockWaiters.get(s.obj[row]) ?? []) if (!this.activeOf.has(w)) this.check(w, time);
    } else if (kind === K.IO_WRITE && (s.b[row] & 255) === 2) {
      const pid = s.threads[t]?.pid;
      if (pid !== undefined && !this.interrupted.has(pid) && /\bKeyboardInterrupt\b/.test(s.strings[s.a[row]] ?? '')) this.interrupted.set(pid, time);
    }
  }

  private afterThreadEnd(t: number): void {
    const w = this.world;
    const s = this.store;
    // Waiters of locks it held (now abandoned), then every other waiter: a thread fewer can wake them.
    for (const h of w.heldBy[t] ?? []) for (const x of w.lockWaiters.get(s.obj[h]) ?? []) if (!this.activeOf.has(x)) this.check(x, w.now);
    for (const threads of w.liveThreads.values()) {
      for (const x of threads) if (w.currentWait(x) >= 0 && !this.activeOf.has(x)) this.check(x, w.now);
    }
  }

  private check(t: number, time: number): void {
    const closure = this.waitFor.stuckClosure(t);
    if (!closure) return;
    for (const x of closure) if (this.reportedWaits.has(this.world.currentWait(x))) return;
    // Joining an episode that is already stuck (a thread that now waits for one of its parties).
    for (const x of closure) {
      const ep = this.activeOf.get(x);
      if (ep) {
        for (const y of closure) if (!this.activeOf.has(y)) this.addParty(ep, y, true);
        return;
      }
    }
    const ep: Episode = {
      key: '', active: true, cause: 'open', causeThread: -1, parties: [], waits: [], startTs: time, endTs: NaN,
      lockOnly: true, anyone: false, endedBy: '', final: false,
    };
    for (const x of closure) this.addParty(ep, x, false);
    ep.key = ep.parties.map((p) => `${this.store.kind[p.wait]}:${this.store.obj[p.wait]}`).sort().join(',');
    this.episodes.push(ep);
  }

  private addParty(ep: Episode, t: number, late: boolean): void {
    const s = this.store;
    const w = this.world;
    const row = w.currentWait(t);
    const wk = this.waitFor.wakers(t, row);
    const view: PartyView = {
      thread: t, wait: row, wakers: wk.threads.slice(), anyone: wk.anyone, alsoBlocked: late,
      holds: (w.heldBy[t] ?? []).slice(),
      blockers: s.kind[row] === K.LOCK_WAIT ? (w.holders.get(s.obj[row]) ?? []).slice() : [],
    };
    if (s.kind[row] === K.QUEUE_GET) {
      // A dead producer: every thread that ever put on this queue has ended.
      const putters = [...(w.putters.get(s.obj[row]) ?? [])].filter((x) => x !== t);
      if (putters.length > 0 && putters.every((x) => !w.alive(x))) {
        view.note = `; every thread that put items on it (${putters.map((x) => this.names.threadName(x)).join(', ')}) has ended`;
      }
    }
    if (s.kind[row] === TASK_WAIT && s.a[row] === 0) {
      const task = w.tasks.task(s.obj[row]);
      if (task && task.runner < 0) view.note = `, which is still queued: every worker of ${this.names.objectName(task.pool)} is busy waiting`;
    }
    ep.parties.push(view);
    ep.waits.push(row);
    if (s.kind[row] !== K.LOCK_WAIT || w.foreignReleased.has(s.obj[row])) ep.lockOnly = false;
    if (wk.anyone) ep.anyone = true;
    this.activeOf.set(t, ep);
  }

  private partyGone(t: number, time: number): void {
    const ep = this.activeOf.get(t);
    if (ep) this.close(ep, time, 'gone', t);
  }

  private close(ep: Episode, time: number, cause: Episode['cause'], t: number): void {
    if (!ep.active) return;
    ep.active = false;
    ep.endTs = time;
    ep.cause = cause;
    ep.causeThread = t;
    for (const p of ep.parties) if (this.activeOf.get(p.thread) === ep) this.activeOf.delete(p.thread);
    if (cause === 'gone') for (const w of ep.waits) this.reportedWaits.add(w);
  }

  /** At the end of a complete trace: threads of processes that are gone can wake nobody. */
  finish(): void {
    const w = this.world;
    // Episodes whose parties' process is gone ended with it (os._exit, a signal: no end records).
    for (const ep of this.episodes) {
      if (!ep.active) continue;
      for (const p of ep.parties) {
        const proc = this.store.processes[this.store.threads[p.thread]?.process ?? -1];
        if (proc?.exited && proc.endTs >= ep.startTs) {
          this.close(ep, proc.endTs, 'gone', p.thread);
          break;
        }
      }
    }
    for (const p of this.store.processes) {
      if (p.exited) w.endProcess(p.pid);
    }
    for (const threads of [...w.liveThreads.values()]) {
      for (const x of threads) if (w.currentWait(x) >= 0 && !this.activeOf.has(x)) this.check(x, w.now);
    }
    // Waits of processes that are gone (killed while waiting) are over.
    for (const ep of this.episodes) ep.final = true;
  }

  findings(now: number): Finding[] {
    const byKey = new Map<string, { first: Episode; count: number }>();
    const reported: Set<number>[] = [];
    for (const ep of this.episodes) {
      if (!this.reportable(ep, now)) continue;
      // The parties left waiting, in the same calls, after one party of a reported deadlock was
      // interrupted (Ctrl-C reaches the main thread only): the same deadlock, not a second one.
      if (reported.some((waits) => ep.waits.every((w) => waits.has(w)))) continue;
      reported.push(new Set(ep.waits));
      const g = byKey.get(ep.key);
      if (g) g.count++;
      else byKey.set(ep.key, { first: ep, count: 1 });
    }
    return [...byKey.values()].map(({ first, count }) => describeEpisode(this.store, this.names, first, count, now));
  }

  private reportable(ep: Episode, now: number): boolean {
    if (!this.hasUserParty(ep)) return false;
    ep.endedBy = this.endedBy(ep);
    switch (ep.cause) {
      case 'woken':
        return false;
      case 'gone':
        return true;
      case 'open':
        // Live: a wait anyone could end must last a while before it is called a deadlock, and so
        // must a thread waiting for a Lock it holds (another thread may release it: a signal).
        return ep.final || (ep.lockOnly && !this.selfOnly(ep)) || now - ep.startTs >= MIN_TIMED_OUT_NS;
      case 'failed': {
        if (ep.endedBy !== 'a timeout') return true; // Ctrl-C, a signal: it would have hung
        // A thread that tries, with a timeout, a lock it holds itself is testing it, not stuck.
        if (this.selfOnly(ep)) return false;
        if (ep.lockOnly) return true;
        const p = ep.parties.find((x) => x.thread === ep.causeThread);
        return !!p && !p.anyone && ep.endTs - ep.startTs >= MIN_TIMED_OUT_NS;
      }
      default:
        return false;
    }
  }

  /** The run has ended: the launcher settled its exit, or its root process exited. */
  private runOver(): boolean {
    const meta = this.store.meta;
    if (meta.exitCode !== null || meta.signal) return true;
    const root = this.store.processes.find((p) => !this.store.processByPid(p.parentPid));
    return root?.exited ?? false;
  }

  /** The signal that ended the run (its root process), if one did. */
  private runSignal(): number | null {
    const names: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 };
    const meta = this.store.meta.signal;
    if (meta && names[meta]) return names[meta];
    const root = this.store.processes.find((p) => !this.store.processByPid(p.parentPid));
    return root?.signal ?? null;
  }

  /** One thread waiting for a lock only it holds. */
  private selfOnly(ep: Episode): boolean {
    const only = ep.parties.length === 1 ? ep.parties[0] : undefined;
    return !!only && only.blockers.length > 0 && only.blockers.every((h) => this.store.thread[h] === only.thread);
  }

  /** A user thread takes part, and it is not only daemon threads left waiting for work at exit. */
  private hasUserParty(ep: Episode): boolean {
    const s = this.store;
    let user = false;
    let nonDaemon = false;
    for (const p of ep.parties) {
      const th = s.threads[p.thread];
      if (!th || this.world.isInternal(p.thread)) continue;
      user = true;
      if (!th.daemon) nonDaemon = true;
    }
    return user && (nonDaemon || ep.parties.some((p) => !p.anyone));
  }

  private endedBy(ep: Episode): string {
    const s = this.store;
    const t = ep.cause === 'open' ? ep.parties[0].thread : ep.causeThread;
    const th = s.threads[t];
    const proc = th ? s.processes[th.process] : undefined;
    // Still open where the trace ends while the run goes on: it holds (a live store analysed whole, too).
    if (ep.cause === 'open' && (!ep.final || (!proc?.exited && !this.runOver()))) return 'ongoing';
    const pid = th?.pid ?? -1;
    const endTs = Number.isNaN(ep.endTs) ? Infinity : ep.endTs;
    const kbd = this.interrupted.get(pid);
    const interruptedSoon = kbd !== undefined && kbd >= ep.startTs && kbd - Math.min(endTs, kbd) < 2e9;
    if (ep.cause === 'failed' && !interruptedSoon && !(proc?.signal && proc.endTs - endTs < 2e9)) return 'a timeout';
    // A child killed with its parent (Stop ends the whole tree) has no exit code of its own: the run's tells.
    const signal = proc?.signal ?? (ep.cause === 'failed' ? null : this.runSignal());
    if (interruptedSoon || signal === 2) return 'Ctrl-C (SIGINT)';
    if (signal === 15) return 'SIGTERM (Stop)';
    if (signal === 9) return 'SIGKILL';
    if (signal) return `signal ${signal}`;
    if (ep.cause === 'open') return proc?.exited ? 'the process exiting' : 'the end of the trace';
    return 'the process exiting';
  }
}

/** A wait that ended without getting what it waited for (timeout, interrupt, error). */
export function waitFailed(store: TraceStore, row: number): boolean {
  const a = store.a[row];
  const b = store.b[row];
  switch (store.kind[row]) {
    case K.LOCK_WAIT:
    case K.COND_WAIT:
    case K.EVENT_WAIT:
    case K.THREAD_JOIN:
      return a === 0;
    case K.BARRIER_WAIT:
      return a < 0;
    case K.PROCESS_JOIN:
      return b !== 1;
    case K.QUEUE_GET:
    case K.QUEUE_PUT:
      return (b & 1) !== 0;
    case K.QUEUE_JOIN:
      return a === 1; // raised (Ctrl-C, an exception from a signal handler)
    case K.PIPE_RECV:
      return b === 1;
    case TASK_WAIT:
      return b === 3 || b === 4; // timed out, interrupted
    default:
      return false;
  }
}
