/**
 * Hand-offs between threads and processes, as arrows: spawn (start() →
 * the child's first moment), join (end of the child → join returns), queue
 * put → get, pipe send → recv, task submit → run → result, Manager proxy
 * call → its handler in the server → back to the caller (drawn as 'pipe':
 * messages on a connection), an asyncio task's end → the end of the await
 * of it (ASYNC_WAIT b=3).
 */
import { K } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import { resolveThreadJoins } from './threadJoins';

export type FlowKind = 'spawn' | 'join' | 'queue' | 'pipe' | 'task';

export interface Flow {
  kind: FlowKind;
  /** Source row and time; the row is -1 when the source is not an event (a thread's end). */
  from: number;
  fromTs: number;
  fromThread: number;
  to: number;
  toTs: number;
  toThread: number;
}

/** ASYNC_WAIT b: the task waits for another task (events.py). */
const ASYNC_WAIT_TASK = 3;

const endOr = (store: TraceStore, i: number): number => (Number.isNaN(store.end[i]) ? store.ts[i] : store.end[i]);

export function computeFlows(store: TraceStore): Flow[] {
  const flows: Flow[] = [];
  const push = (kind: FlowKind, from: number, fromTs: number, fromThread: number, to: number, toTs: number, toThread: number): void => {
    flows.push({ kind, from, fromTs, fromThread, to, toTs, toThread });
  };
  const processStart = new Map<number, number>(); // pid -> PROCESS_START row
  const threadStarts = new Map<string, number[]>(); // pid:ident -> THREAD_START rows, by time
  const startOf = new Map<number, number>(); // thread -> its THREAD_START row
  const puts = new Map<number, number>(); // message id -> QUEUE_PUT row (in-process and multiprocessing queues)
  const keyedPuts = new Map<string, number[]>(); // queue:content key -> QUEUE_PUT rows (Manager queues)
  const keyedGets: number[] = []; // QUEUE_GET rows that carry a content key
  const partner = new Map<number, number>(); // channel -> the other end's channel (duplex Pipe())
  const sends = new Map<string, number[]>(); // channel:key -> PIPE_SEND rows, oldest first
  const submits = new Map<number, number>();
  const runs = new Map<number, number>();
  const recvs: number[] = [];
  const asyncEnds = new Map<number, number>(); // asyncio task id -> ASYNC_END row
  const calls = new Map<number, number[]>(); // call key -> PROXY_CALL rows
  const serves = new Map<number, number[]>(); // call key -> PROXY_SERVE rows
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const th = store.threads[store.thread[i]];
    if (kind === K.PROCESS_START && th) processStart.set(th.pid, i);
    else if (kind === K.THREAD_START && th) {
      const key = `${th.pid}:${th.ident}`;
      if (!threadStarts.has(key)) threadStarts.set(key, []);
      threadStarts.get(key)!.push(i);
      startOf.set(store.thread[i], i);
    } else if (kind === K.QUEUE_PUT && store.a[i] !== 0) {
      if (store.b[i] & 2) push2(keyedPuts, `${store.obj[i]}:${store.a[i]}`, i);
      else puts.set(store.a[i], i);
    } else if (kind === K.QUEUE_GET && store.b[i] & 2) keyedGets.push(i);
    else if (kind === K.PIPE_OPEN && store.a[i] !== store.b[i]) {
      partner.set(store.a[i], store.b[i]);
      partner.set(store.b[i], store.a[i]);
    } else if (kind === K.CONN_OPEN && store.obj[i] !== store.a[i]) {
      // A TCP connection's ends (channels from the addresses, the same in the traces of both ends).
      partner.set(store.obj[i], store.a[i]);
      partner.set(store.a[i], store.obj[i]);
    } else if ((kind === K.PROXY_CALL || kind === K.PROXY_SERVE) && store.b[i] !== 0) {
      push2(kind === K.PROXY_CALL ? calls : serves, store.b[i], i);
    }
    else if (kind === K.PIPE_SEND) {
      const key = `${store.obj[i]}:${store.a[i]}`;
      if (!sends.has(key)) sends.set(key, []);
      sends.get(key)!.push(i);
    } else if (kind === K.PIPE_RECV) recvs.push(i);
    else if (kind === K.TASK_SUBMIT) submits.set(store.obj[i], i);
    else if (kind === K.TASK_RUN) runs.set(store.obj[i], i);
    else if (kind === K.ASYNC_END) asyncEnds.set(store.obj[i], i);
  }
  for (const list of sends.values()) list.sort((x, y) => store.ts[x] - store.ts[y]);
  for (const list of threadStarts.values()) list.sort((x, y) => store.ts[x] - store.ts[y]);
  // The last start at or before a time, by binary search: a reused ident can have thousands.
  const lastStartBy = (list: number[] | undefined, t: number): number | undefined => {
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (store.ts[list[mid]] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1] : undefined;
  };
  const joined = resolveThreadJoins(store);
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const t = store.thread[i];
    const th = store.threads[t];
    switch (kind) {
      case K.PROCESS_SPAWN:
      case K.CHILD_PROCESS: {
        const s = processStart.get(store.obj[i]);
        if (s !== undefined) push('spawn', i, store.ts[i], t, s, store.ts[s], store.thread[s]);
        break;
      }
      case K.THREAD_SPAWN: {
        // The started thread: the last one with this ident that began before start() returned.
        const s = th ? lastStartBy(threadStarts.get(`${th.pid}:${store.obj[i]}`), endOr(store, i)) : undefined;
        if (s !== undefined) push('spawn', i, store.ts[i], t, s, store.ts[s], store.thread[s]);
        break;
      }
      case K.THREAD_JOIN: {
        if (store.a[i] !== 1 || Number.isNaN(store.end[i]) || !th) break;
        // Idents are reused: threadJoins.ts says which thread with this ident it waited for.
        const target = joined.get(i);
        const s = target === undefined ? undefined : startOf.get(target);
        if (s !== undefined && !Number.isNaN(store.end[s])) push('join', s, store.end[s], store.thread[s], i, store.end[i], t);
        break;
      }
      case K.PROCESS_JOIN: {
        if (store.b[i] !== 1 || Number.isNaN(store.end[i])) break;
        const child = store.processByPid(store.obj[i]);
        if (child && child.mainThread >= 0) push('join', -1, Math.min(child.endTs, store.end[i]), child.mainThread, i, store.end[i], t);
        break;
      }
      case K.QUEUE_GET: {
        if (store.b[i] & 2) break; // paired by content key below
        const p = store.a[i] !== 0 ? puts.get(store.a[i]) : undefined;
        if (p !== undefined) push('queue', p, store.ts[p], store.thread[p], i, endOr(store, i), t);
        break;
      }
      case K.TASK_RUN: {
        const s = submits.get(store.obj[i]);
        if (s !== undefined) push('task', s, store.ts[s], store.thread[s], i, store.ts[i], t);
        break;
      }
      case K.TASK_RESULT: {
        const r = runs.get(store.obj[i]);
        if (r !== undefined) push('task', r, endOr(store, r), store.thread[r], i, store.ts[i], t);
        break;
      }
      case K.ASYNC_WAIT: {
        // `await task` (wait_for, shield): the awaited task's end resumed the awaiting one.
        if (store.b[i] !== ASYNC_WAIT_TASK || store.a[i] === 0 || Number.isNaN(store.end[i])) break;
        const e = asyncEnds.get(store.a[i]);
        if (e !== undefined && store.ts[e] <= store.end[i]) push('task', e, store.ts[e], store.thread[e], i, store.end[i], t);
        break;
      }
      default:
        break;
    }
  }
  // Each receive takes the oldest unmatched send of the same bytes on the
  // channel it reads from: the same channel for a one-way pipe, the other
  // end's for a duplex Pipe() (PIPE_OPEN names both ends).
  // Receives and gets go in the order they returned (when they had the bytes),
  // not the order they began waiting: of two readers waiting for equal bytes
  // (a None sentinel for each worker), the one that began first may get the
  // second. In return order the k-th receive ends after the k-th send began
  // whatever the interleaving (at most k-1 receives can end before it), so
  // no arrow goes back in time.
  const byTime = (x: number, y: number): number => store.ts[x] - store.ts[y];
  const byReturn = (x: number, y: number): number => endOr(store, x) - endOr(store, y) || store.ts[x] - store.ts[y];
  const forQueues = new Map([...sends].map(([k, v]) => [k, [...v]]));
  recvs.sort(byReturn);
  for (const i of recvs) {
    const from = partner.get(store.obj[i]) ?? store.obj[i];
    const s = sends.get(`${from}:${store.a[i]}`)?.shift();
    if (s !== undefined) push('pipe', s, store.ts[s], store.thread[s], i, endOr(store, i), store.thread[i]);
  }
  // A multiprocessing queue's get carries the key of the bytes it received:
  // its send (by the feeder thread) carries the message id of the put.
  // A Manager queue's put and get both carry keys: k-th with k-th.
  keyedGets.sort(byReturn);
  for (const list of keyedPuts.values()) list.sort(byTime);
  for (const i of keyedGets) {
    const key = `${store.obj[i]}:${store.a[i]}`;
    let p = keyedPuts.get(key)?.shift();
    if (p === undefined) {
      const s = forQueues.get(key)?.shift();
      p = s !== undefined && store.b[s] !== 0 ? puts.get(store.b[s]) : undefined;
    }
    if (p !== undefined) push('queue', p, store.ts[p], store.thread[p], i, endOr(store, i), store.thread[i]);
  }
  // A proxy call and its handler share a call key (one thread's calls on one
  // connection): k-th with k-th in each side's time order; request and reply.
  for (const [key, list] of calls) {
    const handlers = serves.get(key);
    if (!handlers) continue;
    list.sort(byTime);
    handlers.sort(byTime);
    for (let n = 0; n < Math.min(list.length, handlers.length); n++) {
      const c = list[n];
      const h = handlers[n];
      push('pipe', c, store.ts[c], store.thread[c], h, store.ts[h], store.thread[h]);
      if (!Number.isNaN(store.end[h]) && !Number.isNaN(store.end[c])) push('pipe', h, store.end[h], store.thread[h], c, store.end[c], store.thread[c]);
    }
  }
  return flows;
}

function push2<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
