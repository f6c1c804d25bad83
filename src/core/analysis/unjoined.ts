/**
 * unjoined: threads and processes the program started and never joined.
 * - A thread: non-daemon, started by user code, never joined, and still
 *   running after its process's main thread did its last recorded thing
 *   (Python waited for it at exit). Daemon threads are left alone: being
 *   killed at exit is what daemon means. Executor workers are the
 *   executor's business.
 * - A process: started by user code (not a pool's worker, not a standard
 *   library helper, not started from an installed package (ipyparallel's
 *   controller and engines, loky's resource tracker), not a daemon the standard library terminated at exit)
 *   that no user code joined (join(), is_alive()/exitcode learning it ended,
 *   Popen.wait()/poll(), os.waitpid): left running when its parent ended, a
 *   zombie while its parent went on, or joined only by multiprocessing's
 *   exit handler.
 * Judged on a complete trace only: while a run lasts, anything can still be joined.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingSite } from './finding';
import type { Names } from './names';
import { BEGIN as BEGIN_ } from './timeOrder';
import { JoinResolver } from './threadJoins';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

const INSTALLED_PACKAGE = /[\\/](site|dist)-packages[\\/]/;

/** A child that exited this long before its parent, never reaped, was a zombie worth a word. */
const ZOMBIE_NS = 1e9;

export class Unjoined {
  private readonly joins: JoinResolver;
  private readonly threadSpawn = new Map<number, number>(); // thread → its THREAD_SPAWN row
  private readonly pendingSpawn = new Map<string, number>(); // pid:ident → THREAD_SPAWN row
  private readonly joinedThreads = new Set<number>();
  private readonly processSpawn = new Map<number, number>(); // child pid → PROCESS_SPAWN / CHILD_PROCESS row
  private readonly joinedPids = new Set<number>();
  private readonly stdlibTerminated = new Set<number>();
  /** Per thread: time of its last event at a user site (what the user's code did last). */
  private readonly lastSeen: number[] = [];
  private final = false;

  constructor(private readonly store: TraceStore, private readonly names: Names) {
    this.joins = new JoinResolver(store);
  }

  point(row: number, phase: number, time: number): void {
    const s = this.store;
    const kind = s.kind[row];
    if (kind >= 200) return;
    const t = s.thread[row];
    const th = s.threads[t];
    if (phase === BEGIN) {
      if (s.site[row] >= 0) this.lastSeen[t] = Math.max(this.lastSeen[t] ?? -Infinity, time);
      switch (kind) {
        case K.THREAD_SPAWN:
          if (th && this.byUserCode(row)) this.pendingSpawn.set(`${th.pid}:${s.obj[row]}`, row);
          break;
        case K.THREAD_START: {
          const key = th ? `${th.pid}:${th.ident}` : '';
          const sp = this.pendingSpawn.get(key);
          if (sp !== undefined) {
            this.threadSpawn.set(t, sp);
            this.pendingSpawn.delete(key);
          }
          break;
        }
        case K.PROCESS_SPAWN:
          if (s.a[row] === 0 && this.byUserCode(row)) this.processSpawn.set(s.obj[row], row);
          break;
        case K.CHILD_PROCESS:
          if (this.byUserCode(row)) this.processSpawn.set(s.obj[row], row);
          break;
        case K.PROCESS_TERMINATE:
          if (s.site[row] < 0) this.stdlibTerminated.add(s.obj[row]);
          break;
        default:
          break;
      }
      return;
    }
    if (kind === K.THREAD_START) this.joins.ended(t, time);
    // Any join() of the thread counts, also one still waiting when the run ended (stopped while
    // the main thread joined a deadlocked worker: a deadlock, not a thread nobody joins).
    else if (kind === K.THREAD_JOIN) for (const x of this.joins.targets(row)) this.joinedThreads.add(x);
    else if (kind === K.PROCESS_JOIN && s.b[row] === 1 && s.site[row] >= 0) this.joinedPids.add(s.obj[row]);
    if (s.site[row] >= 0) this.lastSeen[t] = Math.max(this.lastSeen[t] ?? -Infinity, time);
  }

  /**
   * Started from the user's own code: a site outside the installed packages
   * (joblib, dask, ipyparallel start and stop their helpers themselves).
   */
  private byUserCode(row: number): boolean {
    const site = this.store.site[row];
    return site >= 0 && !INSTALLED_PACKAGE.test(this.store.sites[site]?.file ?? '');
  }

  finish(): void {
    this.final = true;
  }

  findings(): Finding[] {
    if (!this.final) return [];
    return [...this.threadFindings(), ...this.processFindings()];
  }

  private threadFindings(): Finding[] {
    const s = this.store;
    const n = this.names;
    const out: Finding[] = [];
    for (const [t, spawn] of this.threadSpawn) {
      const th = s.threads[t];
      if (!th || th.daemon || th.internal || th.main || this.joinedThreads.has(t)) continue;
      if (/^ThreadPoolExecutor-/.test(th.name)) continue;
      const p = s.processes[th.process];
      if (!p || p.internal) continue;
      const mainLast = this.lastSeen[p.mainThread] ?? -Infinity;
      const end = Number.isNaN(th.endTs) ? Infinity : th.endTs;
      if (end <= mainLast) continue; // ended while the main thread still worked: harmless
      const name = n.threadName(t);
      const site = n.site(spawn, `starts ${name}`);
      out.push(this.finding(`thread:${th.pid}:${site ? `${site.file}:${site.line}` : spawn}`, [t], [spawn], site ? [site] : [],
        `Thread ${name}${n.at(spawn) ? ` (started${n.at(spawn)})` : ''} was never joined: it was still running after the main thread's last recorded step${Number.isFinite(end) ? '' : ', until the trace ended'}.`,
        'A thread that is started and never joined runs on after the code that needed its result has moved on; the program can exit before it finishes (daemon) or wait for it silently at exit. Keep the Thread object and call join() where its work must be done, or use a ThreadPoolExecutor in a with block.',
        s.ts[spawn], Number.isFinite(end) ? end : s.lastTs()));
    }
    return out;
  }

  private processFindings(): Finding[] {
    const s = this.store;
    const n = this.names;
    const out: Finding[] = [];
    for (const [pid, spawn] of this.processSpawn) {
      if (this.joinedPids.has(pid) || this.stdlibTerminated.has(pid)) continue;
      const parentThread = s.threads[s.thread[spawn]];
      const parent = parentThread ? s.processes[parentThread.process] : undefined;
      if (!parent || parent.internal) continue;
      const child = s.processByPid(pid);
      if (child?.internal) continue;
      const name = child ? `${child.name} (pid ${pid})` : s.kind[spawn] === K.CHILD_PROCESS ? `child process ${pid}` : `process ${pid}`;
      const parentEnd = parent.exited ? parent.endTs : Infinity;
      const childEnd = child?.exited ? child.endTs : Infinity;
      let how: string;
      if (childEnd > parentEnd) how = 'it was still running when its parent exited';
      else if (Number.isFinite(parentEnd) && parentEnd - childEnd > ZOMBIE_NS) {
        how = `it exited ${((parentEnd - childEnd) / 1e9).toFixed(1)} s before its parent and stayed a zombie until then`;
      } else {
        const mainLast = this.lastSeen[parent.mainThread] ?? -Infinity;
        if (childEnd <= mainLast) continue; // done and reaped along the way (no user join needed)
        how = 'multiprocessing waited for it only at exit';
      }
      const site = n.site(spawn, `starts ${name}`);
      out.push(this.finding(`process:${site ? `${site.file}:${site.line}` : spawn}:${pid}`, child && child.mainThread >= 0 ? [child.mainThread] : [], [spawn], site ? [site] : [],
        `Process ${name}${n.at(spawn) ? ` (started${n.at(spawn)})` : ''} was never joined: ${how}.`,
        'A child process that nobody joins (or waits for) is not reaped: it lingers as a zombie after it ends, or runs on after its parent, and its exit code, which tells whether it failed, is never read. Call join() (Popen.wait()) and check exitcode, or use a Pool / ProcessPoolExecutor in a with block.',
        s.ts[spawn], Math.max(s.ts[spawn], Number.isFinite(childEnd) ? childEnd : s.lastTs())));
    }
    return out;
  }

  private finding(key: string, threads: number[], rows: number[], sites: FindingSite[], message: string, explanation: string, startTs: number, endTs: number): Finding {
    return {
      id: `unjoined:${key}`,
      kind: 'unjoined',
      severity: 'warning',
      message,
      explanation,
      parties: threads.map((t) => this.names.party(t)),
      objects: [],
      sites,
      window: { startTs, endTs: Math.max(startTs, endTs) },
      events: rows,
      edges: [],
    };
  }
}
