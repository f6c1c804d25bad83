/**
 * Findings over a whole trace: deadlocks (a cycle of threads each waiting for
 * a lock another holds when the trace ends) and lock-order inversions (two
 * locks taken in opposite orders, even if the run never hung).
 */
import { K } from '../recordKinds';
import type { Finding, FindingSite } from './finding';
import type { TraceStore } from '../traceStore';

export function findings(store: TraceStore): Finding[] {
  return [...deadlocks(store), ...lockOrderInversions(store)];
}

function lockName(store: TraceStore, id: number): string {
  const o = store.objects.get(id);
  return o?.label ? `${o.label}` : o ? `${o.type}#${id % 16777216}` : `lock #${id}`;
}

function threadName(store: TraceStore, t: number): string {
  const th = store.threads[t];
  return th ? `${th.name} (pid ${th.pid})` : `thread ${t}`;
}

function siteOf(store: TraceStore, row: number, role = ''): FindingSite[] {
  const s = store.sites[store.site[row]];
  return s ? [{ file: s.file, line: s.line, role, row }] : [];
}

/** The common fields, until each kind fills them properly. */
function basic(store: TraceStore, kind: Finding['kind'], message: string, sites: FindingSite[], rows: number[]): Finding {
  const ts = rows.map((r) => store.ts[r]);
  return {
    id: `${kind}:${sites.map((s) => `${s.file}:${s.line}`).join(',')}`,
    kind, severity: kind === 'deadlock' ? 'error' : 'warning', message, explanation: message,
    parties: [], objects: [], sites,
    window: { startTs: Math.min(...ts), endTs: Math.max(...ts) },
    events: rows, edges: [],
  };
}

/** Threads blocked on a lock at the end of the trace, in a wait-for cycle. */
export function deadlocks(store: TraceStore): Finding[] {
  const holder = new Map<number, number>(); // lock -> row of the open hold
  const waiting = new Map<number, number>(); // thread -> row of its open wait
  for (let i = 0; i < store.length; i++) {
    if (!Number.isNaN(store.end[i])) continue;
    if (store.kind[i] === K.LOCK_HOLD) holder.set(store.obj[i], i);
    else if (store.kind[i] === K.LOCK_WAIT) waiting.set(store.thread[i], i);
  }
  const out: Finding[] = [];
  const reported = new Set<number>();
  for (const start of waiting.keys()) {
    const path: number[] = [];
    const seen = new Map<number, number>();
    let t: number | undefined = start;
    while (t !== undefined && !seen.has(t) && !reported.has(t)) {
      seen.set(t, path.length);
      path.push(t);
      const w = waiting.get(t);
      const h = w === undefined ? undefined : holder.get(store.obj[w]);
      t = h === undefined ? undefined : store.thread[h];
    }
    if (t === undefined || reported.has(t) || !seen.has(t)) continue;
    const cycle = path.slice(seen.get(t));
    cycle.forEach((x) => reported.add(x));
    const parts = cycle.map((x) => {
      const w = waiting.get(x)!;
      return `${threadName(store, x)} waits for ${lockName(store, store.obj[w])}`;
    });
    const rows = cycle.flatMap((x) => [waiting.get(x)!, holder.get(store.obj[waiting.get(x)!])!]);
    out.push(basic(store, 'deadlock',
      `Deadlock: ${parts.join('; ')} — each lock is held by the next thread in this cycle.`,
      rows.flatMap((r) => siteOf(store, r)), rows));
  }
  return out;
}

/** Cycles of length two in the "acquired while holding" graph. */
export function lockOrderInversions(store: TraceStore): Finding[] {
  const byThread = new Map<number, number[]>();
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== K.LOCK_HOLD) continue;
    const t = store.thread[i];
    if (!byThread.has(t)) byThread.set(t, []);
    byThread.get(t)!.push(i);
  }
  // edge "outer>inner" -> [row of outer hold, row of inner hold]
  const edges = new Map<string, [number, number]>();
  for (const rows of byThread.values()) {
    rows.sort((x, y) => store.ts[x] - store.ts[y]);
    const open: number[] = [];
    for (const r of rows) {
      const ts = store.ts[r];
      for (let j = open.length - 1; j >= 0; j--) {
        const e = store.end[open[j]];
        if (!Number.isNaN(e) && e <= ts) open.splice(j, 1);
      }
      for (const o of open) {
        if (store.obj[o] === store.obj[r]) continue;
        const key = `${store.obj[o]}>${store.obj[r]}`;
        if (!edges.has(key)) edges.set(key, [o, r]);
      }
      open.push(r);
    }
  }
  const out: Finding[] = [];
  const done = new Set<string>();
  for (const [key, [o, r]] of edges) {
    const [a, b] = key.split('>');
    const back = edges.get(`${b}>${a}`);
    const pair = [a, b].sort().join('|');
    if (!back || done.has(pair)) continue;
    done.add(pair);
    const A = lockName(store, Number(a));
    const B = lockName(store, Number(b));
    const rows = [o, r, back[0], back[1]];
    out.push(basic(store, 'lock-order-inversion',
      `Lock-order inversion: ${threadName(store, store.thread[o])} takes ${A} then ${B}; ${threadName(store, store.thread[back[0]])} takes ${B} then ${A}. Two threads doing this at once deadlock.`,
      rows.flatMap((x) => siteOf(store, x)), rows));
  }
  return out;
}
