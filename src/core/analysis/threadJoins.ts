/**
 * Which thread a join() waited for. THREAD_JOIN names the thread by its
 * ident, and CPython reuses the ident of a thread that ended for the next one
 * it starts, so the ident alone can name several threads. The joined thread
 * is one with that ident that had ended when join() returned: the one that
 * ended while join() waited; else the oldest such thread nobody joined yet
 * (threads are usually joined in the order they were started); else the
 * last one that ended.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;

interface Ended {
  thread: number;
  end: number;
  joined: boolean;
}

export class JoinResolver {
  private readonly byIdent = new Map<string, Ended[]>();

  constructor(private readonly store: TraceStore) {}

  /** A thread ended at `end` (in time order). */
  ended(thread: number, end: number): void {
    const th = this.store.threads[thread];
    if (!th) return;
    const key = `${th.pid}:${th.ident}`;
    const list = this.byIdent.get(key);
    const e = { thread, end, joined: false };
    if (list) list.push(e);
    else this.byIdent.set(key, [e]);
  }

  /** The thread(s) a completed join (a=1) waited for; call at the join's end, in time order. */
  targets(joinRow: number): number[] {
    const s = this.store;
    const th = s.threads[s.thread[joinRow]];
    if (!th) return [];
    const list = this.byIdent.get(`${th.pid}:${s.obj[joinRow]}`);
    if (!list || list.length === 0) return [];
    const begin = s.ts[joinRow];
    const end = Number.isNaN(s.end[joinRow]) ? Infinity : s.end[joinRow];
    let pick: Ended | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i];
      if (e.end <= end && e.end >= begin) {
        pick = e;
        break;
      }
    }
    if (!pick) pick = list.find((e) => !e.joined && e.end <= end);
    if (!pick) {
      for (let i = list.length - 1; i >= 0 && !pick; i--) if (list[i].end <= end) pick = list[i];
    }
    if (!pick) return [];
    pick.joined = true;
    return [pick.thread];
  }
}

/** For a whole trace: join row → the thread it waited for (completed joins only). */
export function resolveThreadJoins(store: TraceStore): Map<number, number> {
  const resolver = new JoinResolver(store);
  // Thread ends and join ends in time order; at equal times the thread end first.
  const points: { ts: number; order: number; row: number; thread: number }[] = [];
  for (const t of store.threads) if (!Number.isNaN(t.endTs)) points.push({ ts: t.endTs, order: 0, row: -1, thread: t.index });
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] === K.THREAD_JOIN && store.a[i] === 1 && !Number.isNaN(store.end[i])) {
      points.push({ ts: store.end[i], order: 1, row: i, thread: -1 });
    }
  }
  points.sort((x, y) => x.ts - y.ts || x.order - y.order);
  const out = new Map<number, number>();
  for (const p of points) {
    if (p.row < 0) resolver.ended(p.thread, p.ts);
    else {
      const t = resolver.targets(p.row);
      if (t.length) out.set(p.row, t[0]);
    }
  }
  return out;
}
