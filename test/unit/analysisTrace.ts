/** Builds small synthetic traces for the analysis unit tests: processes, threads, objects, spans and points. */
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

export const MS = 1e6;

export class Trace {
  readonly store = new TraceStore();
  private readonly siteOf = new Map<number, number>();

  process(pid: number, name = `proc-${pid}`): number {
    const p = this.store.addProcess({
      pid, ppid: 1, parentPid: 1, name, argv: [], python: '3.11.7', startTs: 0, endTs: 0, exited: false,
      exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1,
    });
    return p.index;
  }

  /** A thread and its THREAD_START span (end NaN: still running). */
  thread(pid: number, name: string, start: number, end = NaN, opts: { ident?: number; daemon?: boolean; internal?: boolean } = {}): number {
    const p = this.store.processByPid(pid)!;
    const t = this.store.addThread({
      process: p.index, pid, ident: opts.ident ?? 1000 + this.store.threads.length, nativeId: 5000 + this.store.threads.length, name,
      startTs: start, endTs: end, daemon: opts.daemon ?? false, internal: opts.internal ?? false, main: p.mainThread < 0, exception: null,
    });
    if (p.mainThread < 0) p.mainThread = t.index;
    this.store.push(K.THREAD_START, start, end, t.index, t.nativeId, -1, 0, (opts.daemon ? 1 : 0) | (opts.internal ? 2 : 0));
    return t.index;
  }

  object(id: number, type: string, label: string, line = 1): number {
    this.store.objects.set(id, { id, type, label, pid: 1, site: this.line(line) });
    return id;
  }

  line(line: number): number {
    let s = this.siteOf.get(line);
    if (s === undefined) this.siteOf.set(line, (s = this.store.addSite('/app/prog.py', line, 'main')));
    return s;
  }

  span(kind: number, thread: number, ts: number, end: number, obj: number, a = 0, b = 0, line = 0): number {
    return this.store.push(kind, ts, end, thread, obj, line ? this.line(line) : -1, a, b);
  }

  point(kind: number, thread: number, ts: number, obj: number, a = 0, b = 0, line = 0): number {
    return this.store.push(kind, ts, ts, thread, obj, line ? this.line(line) : -1, a, b);
  }

  /** A lock taken (LOCK_HOLD) from ts to end. */
  hold(thread: number, lock: number, ts: number, end: number, line = 0): number {
    return this.span(K.LOCK_HOLD, thread, ts, end, lock, 0, 0, line);
  }

  /** A contended acquire: LOCK_WAIT from ts to end (a=1 acquired, 0 timed out). */
  wait(thread: number, lock: number, ts: number, end: number, acquired: boolean, line = 0): number {
    return this.span(K.LOCK_WAIT, thread, ts, end, lock, acquired ? 1 : 0, 0, line);
  }
}

/** An inline int value of a SHARED_* record (events.py). */
export const value = (v: number): number => -(2 ** 51 + v);
