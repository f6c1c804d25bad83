/**
 * What only the end of a run can tell about its processes: who started whom
 * (a forkserver child's real parent is the process that called start()),
 * and each one's exit code, from the best witness available — the process
 * itself (os._exit, multiprocessing's _bootstrap), its parent's join, or the
 * launcher for the root.
 */
import * as fs from 'node:fs';
import { processName } from '../run/ingest';
import { K } from '../trace/recordKinds';
import type { ProcessInfo } from '../trace/traceModel';
import type { TraceStore } from '../trace/traceStore';

/** TRACER_STATUS a: why a process is (partly) missing (writer.STOP_* and the reader's own). */
export const TRACER_STOP_REASONS: Readonly<Record<number, string>> = {
  1: 'disk full',
  2: 'no memory for its event map',
  3: 'its event file was removed or replaced',
  4: 'tracer error',
  5: 'never traced',
};
/** EVENTS_LOST b: why. */
export const LOSS_REASONS: Readonly<Record<number, string>> = {
  1: 'claimed but never written: the process ended or was killed while a thread was writing',
  2: 'dropped by an exception that arrived in tracer code, or by a failure of the tracer itself',
  3: 'not written: tracing had stopped',
};
const NEVER_TRACED = 5;
const ERRNO_NAMES: Readonly<Record<number, string>> = { 12: 'ENOMEM', 24: 'EMFILE', 27: 'EFBIG', 28: 'ENOSPC', 122: 'EDQUOT' };

export function settleProcesses(
  store: TraceStore, rootPid: number, rootCode: number | null, rootSignal: number | null,
  isAlive: (pid: number) => boolean = pidAlive,
): void {
  addUntracedChildren(store);
  if (rootPid > 0 && !store.processByPid(rootPid)) addUntraced(store, rootPid, 0, [], 0, 0, 0);
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    if (kind !== K.PROCESS_SPAWN && kind !== K.PROCESS_JOIN && kind !== K.CHILD_PROCESS) continue;
    const child = store.processByPid(store.obj[i]);
    if (!child) continue;
    const parent = store.threads[store.thread[i]];
    if (kind === K.PROCESS_SPAWN || kind === K.CHILD_PROCESS) {
      if (parent) child.parentPid = parent.pid;
    } else if (store.b[i] === 1 && !Number.isNaN(store.end[i])) {
      // The parent saw it exit: multiprocessing reports -N for a signal.
      const code = store.a[i];
      if (child.exitCode === null || code < 0) setExit(child, code);
      child.exited = true;
    }
  }
  markVanished(store, isAlive);
  const root = store.processByPid(rootPid);
  if (root) {
    root.exited = true;
    if (rootSignal) {
      root.exitCode = -rootSignal;
      root.signal = rootSignal;
    } else if (rootCode !== null) {
      root.exitCode = rootCode;
    }
  }
}

function setExit(p: { exitCode: number | null; signal: number | null }, code: number): void {
  p.exitCode = code;
  p.signal = code < 0 ? -code : null;
}

/**
 * Processes killed from outside (Stop ends the whole tree) with nobody left
 * to join them: gone, with no exit code anyone saw. Orphans still running
 * stay running.
 */
export function markVanished(store: TraceStore, isAlive: (pid: number) => boolean = pidAlive): void {
  for (const p of store.processes) {
    if (!p.exited && !isAlive(p.pid)) {
      p.exited = true;
      store.version++;
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (killed, not yet reaped: orphans in a container whose init does
  // not reap) still answers kill(pid, 0).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): kill(pid, 0) is the answer
  }
}

/** An argv that starts a Python interpreter (a traced process of the run). */
function runsPython(argv: string[]): boolean {
  const exe = (argv[0] ?? '').split(/[\\/]/).pop() ?? '';
  return /^(python|pypy)[\d.]*[a-z]*(\.exe)?$/i.test(exe);
}

/**
 * Children known only from their parent's records (PROCESS_SPAWN; a
 * CHILD_PROCESS running Python or forked): started, then ended (terminate(),
 * a crash, a full disk) before their tracer wrote anything. Each becomes a
 * process marked never traced (TRACER_STATUS a=5, b=errno if known), with
 * what the parent saw; settleProcesses then gives it its exit code from the
 * parent's join. Idempotent.
 */
export function addUntracedChildren(store: TraceStore, errno = 0): ProcessInfo[] {
  const added: ProcessInfo[] = [];
  const n = store.length;
  for (let i = 0; i < n; i++) {
    const kind = store.kind[i];
    if (kind !== K.PROCESS_SPAWN && kind !== K.CHILD_PROCESS) continue;
    const pid = store.obj[i];
    if (!(pid > 0) || store.processByPid(pid)) continue;
    let argv: string[] = [];
    if (kind === K.CHILD_PROCESS && store.a[i] !== 0) {
      try {
        const parsed: unknown = JSON.parse(store.strings[store.a[i]] ?? '');
        argv = Array.isArray(parsed) ? parsed.map(String) : [];
      } catch {
        argv = [];
      }
      if (!runsPython(argv)) continue;
    }
    const parent = store.threads[store.thread[i]];
    const start = Number.isNaN(store.end[i]) ? store.ts[i] : store.end[i];
    added.push(addUntraced(store, pid, parent?.pid ?? 0, argv, start, lastHeardOf(store, pid, start), errno));
  }
  return added;
}

function addUntraced(store: TraceStore, pid: number, parentPid: number, argv: string[], start: number, end: number, errno: number): ProcessInfo {
  const p = store.addProcess({
    pid, ppid: parentPid, parentPid, name: processName(argv) || `pid ${pid}`, argv, python: '', startTs: start,
    endTs: end, exited: false, exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1,
  });
  p.mainThread = store.addThread({
    process: p.index, pid, ident: 0, nativeId: pid, name: 'MainThread', startTs: start, endTs: end,
    daemon: false, internal: false, main: true, exception: null,
  }).index;
  store.push(K.TRACER_STATUS, start, start, p.mainThread, pid, -1, NEVER_TRACED, errno);
  return p;
}

/** The latest time a parent's join / terminate / poll says anything about pid. */
function lastHeardOf(store: TraceStore, pid: number, since: number): number {
  let t = since;
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    if ((kind !== K.PROCESS_JOIN && kind !== K.PROCESS_TERMINATE) || store.obj[i] !== pid) continue;
    const end = store.end[i];
    t = Math.max(t, store.ts[i], Number.isNaN(end) ? 0 : end);
  }
  return t;
}

export interface TracerProblem {
  pid: number;
  kind: 'stopped' | 'never-traced' | 'lost' | 'note';
  /** Events lost ('lost'), else 0. */
  lost: number;
  text: string;
}

/** What the trace says is missing (TRACER_STATUS / EVENTS_LOST / TRACER_NOTE records), one entry each. */
export function tracerProblems(store: TraceStore): TracerProblem[] {
  const out: TracerProblem[] = [];
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    if (kind !== K.TRACER_STATUS && kind !== K.EVENTS_LOST && kind !== K.TRACER_NOTE) continue;
    const pid = store.obj[i];
    const p = store.processByPid(pid);
    const who = p && p.name && p.name !== `pid ${pid}` ? `pid ${pid} (${p.name})` : `pid ${pid}`;
    if (kind === K.TRACER_NOTE) {
      out.push({ pid, kind: 'note', lost: 0, text: `${who}: ${store.strings[store.a[i]] ?? 'part of it is untraced'}` });
      continue;
    }
    const a = store.a[i];
    const b = store.b[i];
    const err = b > 0 ? ` (${ERRNO_NAMES[b] ?? `errno ${b}`})` : '';
    if (kind === K.TRACER_STATUS && a === NEVER_TRACED) {
      out.push({ pid, kind: 'never-traced', lost: 0, text: `${who}: never traced: it ended before its tracer started, or could not create its event file${b === 28 ? ' (the run folder\'s disk was full)' : ''}` });
    } else if (kind === K.TRACER_STATUS) {
      out.push({ pid, kind: 'stopped', lost: 0, text: `${who}: tracing stopped at ${(store.ts[i] / 1e9).toFixed(3)} s: ${TRACER_STOP_REASONS[a] ?? `reason ${a}`}${err}; it ran on untraced` });
    } else {
      out.push({ pid, kind: 'lost', lost: a, text: `${who}: ${a} event${a === 1 ? '' : 's'} lost: ${LOSS_REASONS[b] ?? `reason ${b}`}` });
    }
  }
  return out;
}

/** One line saying what the trace misses, for the CLI; undefined when nothing is missing. */
export function tracerProblemLine(store: TraceStore): string | undefined {
  const problems = tracerProblems(store);
  if (problems.length === 0) return undefined;
  const count = (k: TracerProblem['kind']): number => new Set(problems.filter((p) => p.kind === k).map((p) => p.pid)).size;
  const parts: string[] = [];
  const stopped = count('stopped');
  const never = count('never-traced');
  const lost = problems.reduce((n, p) => n + p.lost, 0);
  const notes = problems.filter((p) => p.kind === 'note').length;
  if (stopped) parts.push(`${stopped} process${stopped === 1 ? '' : 'es'} stopped tracing`);
  if (never) parts.push(`${never} process${never === 1 ? '' : 'es'} never traced`);
  if (lost) parts.push(`${lost} event${lost === 1 ? '' : 's'} lost`);
  if (notes) parts.push(`${notes} part${notes === 1 ? '' : 's'} untraced`);
  return `trace incomplete: ${parts.join(', ')} — ${problems[0].text}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`;
}
