/**
 * What only the end of a run can tell about its processes: who started whom
 * (a forkserver child's real parent is the process that called start()),
 * and each one's exit code, from the best witness available — the process
 * itself (os._exit, multiprocessing's _bootstrap), its parent's join, or the
 * launcher for the root.
 */
import * as fs from 'node:fs';
import { K } from '../recordKinds';
import type { TraceStore } from '../traceStore';

export function settleProcesses(
  store: TraceStore, rootPid: number, rootCode: number | null, rootSignal: number | null,
  isAlive: (pid: number) => boolean = pidAlive,
): void {
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
