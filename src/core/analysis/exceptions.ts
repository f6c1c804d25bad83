/**
 * uncaught-exception: an exception ended a thread (THREAD_EXCEPTION), a
 * process (it exited with a traceback on its stderr: IO_WRITE records) or a
 * pool / executor / dask task (TASK_RESULT a=0) whose exception never reached
 * the program: no wait on it (TASK_WAIT, directly or through its group) ended
 * with the task's exception (b = 2: result() / get() / gather() raised it, or
 * exception() returned it). Ctrl-C (KeyboardInterrupt) and
 * SystemExit are how programs are stopped, not failures: they are left out.
 * Failures of the same kind at the same place are one finding with a count.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingSite } from './finding';
import type { Names } from './names';
import { TASK_WAIT, TASK_WAIT_MEMBER } from './tasks';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;

interface Group {
  id: string;
  what: 'thread' | 'process' | 'task';
  exception: string;
  rows: number[];
  threads: number[];
  site: FindingSite | undefined;
  label: string;
}

/** A task that raised, until it is known whether its exception was asked for. */
interface FailedTask {
  task: number;
  label: string;
  /** The failed call as shown: "work(3)". */
  call: string;
  evidence: number;
  thread: number;
  site: FindingSite | undefined;
}

const STDERR_KEEP = 16384;
/** TASK_WAIT b: the wait ended with a task's exception. */
const RAISED = 2;
/** Members of a wait group looked at (a Pool.map over millions of items is one group). */
const MAX_MEMBERS = 10000;

/** The last traceback in a text: its exception line and the innermost frame in user code. */
export function parseTraceback(text: string): { exception: string; file: string; line: number } | undefined {
  const start = text.lastIndexOf('Traceback (most recent call last):');
  if (start < 0) return undefined;
  const lines = text.slice(start).split('\n').map((l) => l.replace(/\s+$/, ''));
  let file = '';
  let line = 0;
  let exception = '';
  for (const l of lines.slice(1)) {
    const m = /^\s*File "([^"]+)", line (\d+)/.exec(l);
    if (m) {
      if (!isLibrary(m[1])) {
        file = m[1];
        line = Number(m[2]);
      }
      continue;
    }
    if (l && !l.startsWith(' ') && !l.startsWith('\t')) {
      exception = l;
      break;
    }
  }
  if (!exception) return undefined;
  return { exception, file, line };
}

function isLibrary(file: string): boolean {
  return /[\\/]lib[\\/]python\d[^\\/]*[\\/]/.test(file) || /[\\/]concurrency_trace[\\/]/.test(file) || file.startsWith('<frozen ');
}

const benign = (exception: string): boolean => /^(KeyboardInterrupt|SystemExit|GeneratorExit)\b/.test(exception);

export class UncaughtExceptions {
  private readonly stderr = new Map<number, string>();
  private readonly groups = new Map<string, Group>();
  private readonly taskRun = new Map<number, number>();
  private readonly taskSubmit = new Map<number, number>();
  private readonly taskPool = new Map<number, number>();
  /** Task group label → the call that failed first ("work(3)"). */
  private readonly firstArgs = new Map<string, string>();
  /** Tasks that raised, in order; reported unless a wait handed their exception to the program. */
  private readonly failed: FailedTask[] = [];
  /** TASK_WAIT rows: how each ended is read when findings are made (a span ends after it is seen). */
  private readonly waits: number[] = [];
  /** Wait group id → ranges [first task id, count]. */
  private readonly groupRanges = new Map<number, [number, number][]>();
  /** pid → its PROCESS_EXIT row, else its first row. */
  private readonly processRows = new Map<number, number>();

  constructor(private readonly store: TraceStore, private readonly names: Names) {}

  point(row: number): void {
    const s = this.store;
    const kind = s.kind[row];
    if (kind < 200) {
      const pid = s.threads[s.thread[row]]?.pid;
      if (pid !== undefined && (kind === K.PROCESS_EXIT || !this.processRows.has(pid))) this.processRows.set(pid, row);
    }
    switch (kind) {
      case K.IO_WRITE: {
        if ((s.b[row] & 255) !== 2) return;
        const pid = s.threads[s.thread[row]]?.pid;
        if (pid === undefined) return;
        const text = (this.stderr.get(pid) ?? '') + (s.strings[s.a[row]] ?? '');
        this.stderr.set(pid, text.length > STDERR_KEEP ? text.slice(-STDERR_KEEP) : text);
        return;
      }
      case K.THREAD_EXCEPTION: {
        const tb = parseTraceback(s.strings[s.a[row]] ?? '');
        const exception = tb?.exception ?? 'an exception';
        if (benign(exception)) return;
        const t = s.thread[row];
        const site = tb && tb.file ? { file: tb.file, line: tb.line, role: `raised ${exception}` } : undefined;
        this.add('thread', exception, row, t, site, this.names.threadName(t));
        return;
      }
      case K.TASK_SUBMIT:
        this.taskSubmit.set(s.obj[row], row);
        this.taskPool.set(s.obj[row], s.a[row]);
        return;
      case K.TASK_RUN:
        this.taskRun.set(s.obj[row], row);
        return;
      case TASK_WAIT:
        this.waits.push(row);
        return;
      case TASK_WAIT_MEMBER: {
        const list = this.groupRanges.get(s.obj[row]);
        if (list) list.push([s.a[row], s.b[row]]);
        else this.groupRanges.set(s.obj[row], [[s.a[row], s.b[row]]]);
        return;
      }
      case K.TASK_RESULT: {
        if (s.a[row] !== 0) return;
        const task = s.obj[row];
        const run = this.taskRun.get(task);
        const submit = this.taskSubmit.get(task);
        const func = run !== undefined ? s.strings[s.a[run]] ?? '' : submit !== undefined ? s.strings[s.b[submit]] ?? '' : '';
        const args = run !== undefined ? s.strings[s.b[run]] ?? '' : '';
        const pool = this.taskPool.get(task);
        const site = submit !== undefined ? this.names.site(submit, `submits ${func || 'the task'}`) : undefined;
        // Grouped by function and pool; the arguments of the first failure are shown.
        const label = `${func || 'a task'}${pool ? ` on ${this.names.objectName(pool)}` : ''}`;
        const evidence = run ?? row;
        this.failed.push({ task, label, call: `${func || 'task'}(${args})`, evidence, thread: s.thread[evidence], site });
        this.taskRun.delete(task);
        this.taskSubmit.delete(task);
        return;
      }
      default:
        return;
    }
  }

  /** Tasks whose exception a finished wait handed to the program. */
  private asked(): Set<number> {
    const s = this.store;
    const out = new Set<number>();
    for (const row of this.waits) {
      if (s.b[row] !== RAISED) continue;
      if (s.a[row] === 0) {
        out.add(s.obj[row]);
        continue;
      }
      let n = 0;
      for (const [first, count] of this.groupRanges.get(s.obj[row]) ?? []) {
        for (let i = 0; i < count && n < MAX_MEMBERS; i++, n++) out.add(first + i);
      }
    }
    return out;
  }

  /** Failed tasks nobody asked about, grouped by function and pool (fresh groups on every call: waits end later). */
  private taskFailures(): Group[] {
    const asked = this.failed.length ? this.asked() : new Set<number>();
    const groups = new Map<string, Group>();
    for (const f of this.failed) {
      if (asked.has(f.task)) continue;
      if (!this.firstArgs.has(f.label)) this.firstArgs.set(f.label, f.call);
      this.add('task', f.label, f.evidence, f.thread, f.site, f.label, groups);
    }
    return [...groups.values()];
  }

  private add(what: Group['what'], exception: string, row: number, thread: number, site: FindingSite | undefined, label: string, groups = this.groups): void {
    const id = `uncaught-exception:${what}:${exception}:${site ? `${site.file}:${site.line}` : ''}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { id, what, exception, rows: [], threads: [], site: site ? { ...site, row } : undefined, label }));
    if (g.rows.length < 50) g.rows.push(row);
    if (!g.threads.includes(thread) && g.threads.length < 50) g.threads.push(thread);
  }

  /** Processes that exited with a traceback (settled exit codes: call on a complete trace, or live for children that reported theirs). */
  private processFailures(): Group[] {
    const s = this.store;
    const out: Group[] = [];
    for (const p of s.processes) {
      if (p.internal || p.exitCode === null || p.exitCode <= 0) continue;
      const tb = parseTraceback(this.stderr.get(p.pid) ?? '');
      if (!tb || benign(tb.exception)) continue;
      const main = p.mainThread;
      const startRow = this.processRow(p.pid);
      const site = tb.file ? { file: tb.file, line: tb.line, role: `raised ${tb.exception}` } : undefined;
      out.push({
        id: `uncaught-exception:process:${tb.exception}:${site ? `${site.file}:${site.line}` : ''}:${p.pid}`,
        what: 'process', exception: tb.exception, rows: startRow >= 0 ? [startRow] : [], threads: main >= 0 ? [main] : [],
        site: site && startRow >= 0 ? { ...site, row: startRow } : site, label: `${p.name} (pid ${p.pid})`,
      });
    }
    return out;
  }

  private processRow(pid: number): number {
    return this.processRows.get(pid) ?? -1;
  }

  findings(): Finding[] {
    const all = [...this.groups.values(), ...this.taskFailures(), ...this.processFailures()];
    return all.map((g) => this.describe(g));
  }

  private describe(g: Group): Finding {
    const s = this.store;
    const n = this.names;
    const count = g.rows.length;
    const at = g.site ? ` at line ${g.site.line}` : '';
    let message: string;
    let explanation: string;
    if (g.what === 'thread') {
      message = count > 1
        ? `${count} threads ended with an uncaught ${g.exception}${at} (${g.threads.slice(0, 3).map((t) => n.threadName(t)).join(', ')}${g.threads.length > 3 ? ', …' : ''}).`
        : `Thread ${g.label} ended with an uncaught ${g.exception}${at}.`;
      explanation = 'An exception that escapes a thread\'s function ends that thread; Python prints the traceback but the rest of the program goes on as if nothing happened, and the work the thread was doing is lost. Catch exceptions inside the thread and report them (for example put them on a queue), or use concurrent.futures, whose result() re-raises them in the caller.';
    } else if (g.what === 'process') {
      message = `Process ${g.label} ended with an uncaught ${g.exception}${at} (exit code 1).`;
      explanation = 'An exception that escapes a process\'s target ends that process with exit code 1; its parent only sees the exit code. Check p.exitcode after join(), or catch the exception in the child and send it back through a Queue; a Pool or ProcessPoolExecutor re-raises it in the caller.';
    } else {
      const call = this.firstArgs.get(g.label) ?? g.label;
      const pool = g.label.includes(' on ') ? g.label.slice(g.label.indexOf(' on ')) : '';
      message = count > 1
        ? `${count} tasks raised an exception${pool}, first ${call} (submitted${at}).`
        : `Task ${call}${pool} raised an exception (submitted${at}).`;
      explanation = 'A task that raises does not stop the pool: the exception is kept in its result and re-raised only where the result is asked for (result(), get(), iterating map()). If nobody asks, it is lost silently. Ask for every result (or check future.exception()), and catch exceptions where the caller can handle them.';
    }
    const rows = g.rows;
    const times = rows.map((r) => s.ts[r]);
    return {
      id: g.id,
      kind: 'uncaught-exception',
      severity: g.what === 'task' ? 'warning' : 'error',
      message,
      explanation,
      parties: g.threads.map((t) => n.party(t)),
      objects: [],
      sites: g.site ? [g.site] : [],
      window: { startTs: times.length ? Math.min(...times) : 0, endTs: times.length ? Math.max(...times) : 0 },
      events: rows.slice(),
      edges: [],
      details: { count, exception: g.exception, what: g.what },
    };
  }
}
