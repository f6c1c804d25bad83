/**
 * What the words for processes and threads rest on, gathered from the rows of
 * a trace as they arrive (update() only looks at rows added since the last
 * call): who started which worker for which pool, who sent which signal, what
 * function a process's code ran first, which pool a thread ran tasks for,
 * which queue a feeder thread feeds, the programs a process started that are
 * not traced. Rows are kept, not values, so a span closed later reads right.
 */
import { K } from '../trace/recordKinds';
import { packageOfFile } from './libraries';
import { ObjectNames } from './objectNames';
import type { TraceStore } from '../trace/traceStore';

/** A program started with subprocess / os.fork that wrote no trace of its own. */
export interface ChildProgram {
  pid: number;
  /** The CHILD_PROCESS row (in the parent's thread). */
  row: number;
  /** The parent's last PROCESS_JOIN row for it (wait / poll), −1 if none. */
  joinRow: number;
}

/** Tasks remembered per thread to tell whose work it did (a library worker's first tasks tell). */
const MAX_TASKS_KEPT = 64;

export class NamingFacts {
  private seen = 0;
  /** pid → PROCESS_SPAWN row that started it. */
  readonly spawnRow = new Map<number, number>();
  /** Owner object id (pool / executor) → its worker pids in start order. */
  readonly ownerWorkers = new Map<number, number[]>();
  /** pid → first PROCESS_TERMINATE row aimed at it. */
  readonly terminateRow = new Map<number, number>();
  /** pid → the last PROCESS_JOIN row in which its parent saw it exit. */
  readonly joinRow = new Map<number, number>();
  /** Thread index → the function of its first event at a user site (not module level). */
  readonly firstFunction = new Map<number, string>();
  /** Task id → pool / executor object (TASK_SUBMIT). */
  private readonly taskOwner = new Map<number, number>();
  /** Thread index → a task id it ran (TASK_RUN), until its pool is known. */
  private readonly taskOfThread = new Map<number, number>();
  /** Task id → the line that submitted it (TASK_SUBMIT site; −1 unknown). */
  private readonly taskSite = new Map<number, number>();
  /** Thread index → some of the task ids it ran (the first few), to tell whose work it did. */
  private readonly tasksRun = new Map<number, number[]>();
  /** Thread index → pool / executor whose tasks it ran. */
  private readonly poolOfThread = new Map<number, number>();
  /** Thread index → the channel (queue object id) it sent on, for feeder threads. */
  readonly sendsOn = new Map<number, number>();
  /** Threads that ran asyncio task steps (event loops). */
  readonly loopThreads = new Set<number>();
  /** CHILD_PROCESS pids (subprocess, os.fork), whether traced or not. */
  readonly childRow = new Map<number, number>();

  /** Looks at the rows added since the last call. */
  update(store: TraceStore): void {
    const n = store.length;
    for (let r = this.seen; r < n; r++) {
      const kind = store.kind[r];
      switch (kind) {
        case K.PROCESS_SPAWN: {
          const pid = store.obj[r];
          if (this.spawnRow.has(pid)) break;
          this.spawnRow.set(pid, r);
          const owner = store.a[r];
          if (owner) {
            let list = this.ownerWorkers.get(owner);
            if (!list) this.ownerWorkers.set(owner, (list = []));
            list.push(pid);
          }
          break;
        }
        case K.PROCESS_TERMINATE:
          if (!this.terminateRow.has(store.obj[r])) this.terminateRow.set(store.obj[r], r);
          break;
        case K.PROCESS_JOIN:
          this.joinRow.set(store.obj[r], r);
          break;
        case K.CHILD_PROCESS:
          if (!this.childRow.has(store.obj[r])) this.childRow.set(store.obj[r], r);
          break;
        case K.TASK_SUBMIT:
          this.taskOwner.set(store.obj[r], store.a[r]);
          this.taskSite.set(store.obj[r], store.site[r]);
          break;
        case K.TASK_RUN: {
          if (!this.poolOfThread.has(store.thread[r])) this.taskOfThread.set(store.thread[r], store.obj[r]);
          let ran = this.tasksRun.get(store.thread[r]);
          if (!ran) this.tasksRun.set(store.thread[r], (ran = []));
          if (ran.length < MAX_TASKS_KEPT) ran.push(store.obj[r]);
          break;
        }
        case K.PIPE_SEND:
          if (!this.sendsOn.has(store.thread[r])) this.sendsOn.set(store.thread[r], store.obj[r]);
          break;
        case K.ASYNC_RUN:
          this.loopThreads.add(store.thread[r]);
          break;
        case K.PIPE_OPEN:
          ObjectNames.of(store).noteEnds(store.obj[r], store.a[r], store.b[r]);
          break;
        default:
          break;
      }
      const t = store.thread[r];
      if (t >= 0 && store.site[r] >= 0 && !this.firstFunction.has(t) && kind < 200) {
        const site = store.sites[store.site[r]];
        // A library's line says nothing about what the program asked the process to run (a dask worker's first is distributed's __init__).
        if (site && site.func && !site.func.startsWith('<') && !site.file.startsWith('<') && !packageOfFile(site.file)) this.firstFunction.set(t, site.func);
      }
    }
    this.seen = n;
  }

  /** The pool or executor whose tasks a thread ran, if any (0: none known). */
  poolOf(thread: number): number {
    const known = this.poolOfThread.get(thread);
    if (known !== undefined) return known;
    const task = this.taskOfThread.get(thread);
    const owner = task === undefined ? undefined : this.taskOwner.get(task);
    if (owner === undefined) return 0;
    this.poolOfThread.set(thread, owner);
    this.taskOfThread.delete(thread);
    return owner;
  }

  /**
   * Whether a pool's worker thread ran the program's work: a task submitted from a line that is not
   * a library's (`isLibraryFile`), or of unknown origin. A worker of an executor that a library made
   * and fed only itself (asyncio's default executor running distributed's offloaded calls) did not.
   */
  ranProgramWork(store: TraceStore, thread: number, isLibraryFile: (file: string) => boolean): boolean {
    for (const task of this.tasksRun.get(thread) ?? []) {
      const site = this.taskSite.get(task);
      if (site === undefined || site < 0 || !isLibraryFile(store.sites[site]?.file ?? '')) return true;
    }
    return false;
  }

  /** The pool / executor that started a process (PROCESS_SPAWN a), 0 if none. */
  ownerOf(store: TraceStore, pid: number): number {
    const r = this.spawnRow.get(pid);
    return r === undefined ? 0 : store.a[r];
  }

  /** Programs the trace saw started (subprocess / fork) that wrote no trace themselves. */
  childPrograms(store: TraceStore): ChildProgram[] {
    const out: ChildProgram[] = [];
    for (const [pid, row] of this.childRow) {
      if (store.processByPid(pid)) continue;
      out.push({ pid, row, joinRow: this.joinRow.get(pid) ?? -1 });
    }
    return out;
  }
}
