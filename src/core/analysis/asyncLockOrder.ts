/**
 * lock-order-inversion among asyncio tasks: the "acquired while holding"
 * graph of lockOrder.ts over asyncio.Locks, with tasks as the parties
 * (ASYNC_HOLD: a task holds a lock; ASYNC_WAIT b 12: a task awaits one, the
 * attempt counts as in lockdep). Two tasks that take two asyncio.Locks in
 * opposite orders can deadlock with another timing even when this run did not.
 * Tasks "lived at the same time" from their creation to their end.
 */
import { K } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { AWAIT, taskKey } from './asyncWaitFor';
import type { Finding } from './finding';
import { LockOrder, type HoldSource } from './lockOrder';
import type { Names } from './names';
import { BEGIN } from './timeOrder';

interface TaskInfo {
  key: string;
  thread: number;
  start: number;
  end: number;
  name: string;
  holds: number[];
}

export class AsyncLockOrder {
  private readonly tasks: TaskInfo[] = [];
  private readonly index = new Map<string, number>();
  private readonly graph: LockOrder;
  private seen = false;

  constructor(private readonly store: TraceStore, private readonly names: Names) {
    const s = store;
    const tasks = this.tasks;
    const kinds = new Uint8Array(256);
    kinds[K.ASYNC_HOLD] = 1;
    kinds[K.ASYNC_WAIT] = 1;
    const source: HoldSource = {
      kinds,
      partyOf: (row, phase) => {
        if (phase !== BEGIN) return -1;
        if (s.kind[row] === K.ASYNC_HOLD) return s.a[row] === 0 ? -1 : this.task(row, s.a[row]);
        if (s.kind[row] === K.ASYNC_WAIT && s.b[row] === AWAIT.LOCK && s.a[row] !== 0) return this.task(row, s.obj[row]);
        return -1;
      },
      lockOf: (row) => (s.kind[row] === K.ASYNC_WAIT ? s.a[row] : s.obj[row]),
      isWait: (row) => s.kind[row] === K.ASYNC_WAIT,
      held: (p) => tasks[p]?.holds,
      overlap: (a, b) => tasks[a].start < tasks[b].end && tasks[b].start < tasks[a].end,
      name: (p) => `task ${tasks[p].name} on ${names.threadName(tasks[p].thread)}`,
      party: (p) => ({ pid: s.threads[tasks[p].thread]?.pid ?? 0, thread: tasks[p].thread, name: `task ${tasks[p].name} on ${names.threadName(tasks[p].thread)}` }),
      noun: 'asyncio task',
      idPrefix: 'async:',
    };
    this.graph = new LockOrder(store, names, source);
  }

  /** The party number of a task (by its id in the row's process), made on first sight. */
  private task(row: number, id: number): number {
    const s = this.store;
    const key = taskKey(s.threads[s.thread[row]]?.pid ?? -1, id);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.tasks.length;
      this.index.set(key, i);
      this.tasks.push({ key, thread: s.thread[row], start: s.ts[row], end: Infinity, name: String(id), holds: [] });
    }
    return i;
  }

  point(row: number, phase: number): void {
    const s = this.store;
    const kind = s.kind[row];
    if (kind === K.ASYNC_CREATE) {
      if (phase !== BEGIN) return;
      const t = this.tasks[this.task(row, s.obj[row])];
      t.start = Math.min(t.start, s.ts[row]);
      const name = s.strings[s.a[row]];
      if (name) t.name = name;
      return;
    }
    if (kind === K.ASYNC_END) {
      if (phase === BEGIN) this.tasks[this.task(row, s.obj[row])].end = s.ts[row];
      return;
    }
    if (kind !== K.ASYNC_HOLD && kind !== K.ASYNC_WAIT) return;
    this.seen = true;
    if (kind === K.ASYNC_HOLD && s.a[row] !== 0) {
      const t = this.tasks[this.task(row, s.a[row])];
      if (phase === BEGIN) t.holds.push(row);
      else {
        const i = t.holds.lastIndexOf(row);
        if (i >= 0) t.holds.splice(i, 1);
      }
    }
    this.graph.point(row, phase);
  }

  findings(): Finding[] {
    return this.seen ? this.graph.findings() : [];
  }
}
