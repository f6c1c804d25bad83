/**
 * The words and drawing of a deadlock finding: who waits for what held by
 * whom, how it formed (steps), how long it lasted and how it ended, and the
 * fix that usually applies to that shape of deadlock.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingEdge, FindingObject, FindingSite } from './finding';
import type { Names } from './names';
import { TASK_WAIT } from './tasks';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;

export interface PartyView {
  thread: number;
  /** Its wait row. */
  wait: number;
  /** Threads that could have ended the wait (holders, join target, everyone in scope). */
  wakers: number[];
  /** A wait anyone in scope could end (queue, event, condition…). */
  anyone: boolean;
  /** Joined an episode that was already stuck (waits for one of its parties). */
  alsoBlocked: boolean;
  /** Its open holds when it became stuck. */
  holds: number[];
  /** For a lock wait: the open holds of that lock. */
  blockers: number[];
  /** What else the message should say about this wait ("which is still queued…"). */
  note?: string;
}

export interface EpisodeView {
  parties: PartyView[];
  waits: number[];
  startTs: number;
  endTs: number;
  lockOnly: boolean;
  anyone: boolean;
  endedBy: string;
  final: boolean;
}

type Shape = 'self' | 'abandoned' | 'locks' | 'drain' | 'futures' | 'heldWhileWaiting' | 'join' | 'taskDone' | 'queue' | 'condition' | 'event' | 'other';

const EXPLANATIONS: Record<Shape, string> = {
  self: 'A threading.Lock is not reentrant: a thread that acquires it again while it holds it waits for itself forever. Use threading.RLock, or do not call code that takes the lock again while holding it.',
  abandoned: 'The lock was acquired and never released by a thread or process that has ended, so nobody can ever release it. Use `with lock:` so the lock is released even when an exception is raised; a process killed while it holds a multiprocessing lock leaves that lock locked for good.',
  locks: 'Each of these threads holds a lock the next one needs, so none of them can go on. The usual fix: take the locks in one global order everywhere (for example always the first before the second), or protect the data with a single lock. acquire(timeout=…) only turns the hang into a failure.',
  drain: 'A process that put items on a multiprocessing.Queue does not exit until they are flushed into the pipe, and a full pipe is emptied only by a reader; joining that process before getting its items waits forever (Python docs, multiprocessing, "Joining processes that use queues"). Get the items (drain the queue) before join().',
  futures: 'A task waits for the result of another task of the same pool, and every worker that could run that task is itself waiting, so it never runs (concurrent.futures docs, "Deadlocks can occur when the callable associated with a Future waits on the results of another Future"). Do not wait on futures from inside tasks of the same pool: pass results along, chain with add_done_callback, or give the inner tasks a pool of their own.',
  heldWhileWaiting: 'A thread waits for the results of tasks while it holds a lock those tasks need: the tasks wait for the lock, so their results never come. Release the lock before waiting for the results (take it only around the shared data, not around the wait), or let the tasks return their data for the waiting thread to apply.',
  join: 'join() waits for a thread or process that is itself waiting for something only the joiner (or another blocked thread) would provide. Give it what it waits for (a sentinel on its queue, set its event) before joining, or join with a timeout and find out why it is stuck.',
  taskDone: 'Queue.join() returns only when task_done() has been called once for every item put on the queue, and every thread that could still call it is blocked or has ended. Call q.task_done() after handling each item taken with get() (in a finally: block, so an item that fails is counted too), including the sentinel that ends a consumer.',
  queue: 'Every thread that could put or take an item is blocked or has ended, so this queue operation waits forever. Send a sentinel (for example None) for each consumer when the work is done, and make sure producers cannot end early (an exception in a producer ends it silently).',
  condition: 'Nobody is left to call notify(): every other thread is blocked or has ended. Change the state and notify while holding the condition\'s lock, and wait with wait_for(predicate) so a notify sent before the wait began is not lost.',
  event: 'Nobody is left to set the event: every other thread is blocked or has ended. Make sure the code path that sets it runs even on errors (try/finally).',
  other: 'Each of these waits can only be ended by another thread or process in the same set, and all of them are waiting. Break the cycle: release what the others need before waiting, or wait with a timeout and recover.',
};

export function describeEpisode(store: TraceStore, names: Names, ep: EpisodeView, count: number, now: number): Finding {
  const core = chainOrder(store, ep.parties.filter((p) => !p.alsoBlocked));
  const also = ep.parties.filter((p) => p.alsoBlocked);
  const shape = shapeOf(store, ep);
  const phrases = core.map((p) => waitPhrase(store, names, p, ep));
  const end = Number.isNaN(ep.endTs) ? (ep.final ? store.lastTs() : now) : ep.endTs;
  const lastedMs = Math.max(0, Math.round((end - ep.startTs) / 1e6));
  let tail: string;
  if (ep.endedBy === 'ongoing') tail = `still blocked after ${lastedMs} ms`;
  else if (Number.isNaN(ep.endTs)) tail = `blocked ${lastedMs} ms, until ${ep.endedBy}`;
  else tail = `lasted ${lastedMs} ms, ended by ${ep.endedBy}`;
  const more = also.length ? `; ${also.length} more thread${also.length > 1 ? 's' : ''} blocked on them` : '';
  const message = shape === 'drain' ? drainMessage(store, names, core, tail) ?? `Deadlock: ${phrases.join('; ')} (${tail}${more}).` : `Deadlock: ${phrases.join('; ')} (${tail}${more}).`;

  const sites: FindingSite[] = [];
  const events: number[] = [];
  const edges: FindingEdge[] = [];
  const objects = new Map<number, FindingObject>();
  const steps: { ts: number; text: string }[] = [];
  const holdSteps = new Set<number>(); // a hold several parties wait for is one step
  const addSite = (row: number, role: string): void => {
    if (!events.includes(row)) events.push(row);
    const site = names.site(row, role);
    if (site && !sites.some((x) => x.row === row)) sites.push(site);
  };
  for (const p of ep.parties) {
    const who = names.threadName(p.thread);
    const obj = store.obj[p.wait];
    const kind = store.kind[p.wait];
    if (kind !== K.THREAD_JOIN && kind !== K.PROCESS_JOIN && obj !== 0) objects.set(obj, names.object(obj));
    addSite(p.wait, `${who} ${shortWait(store, names, p)}`);
    steps.push({ ts: store.ts[p.wait], text: `${who} ${shortWait(store, names, p)}${names.at(p.wait)}` });
    for (const h of p.blockers) {
      const holder = names.threadName(store.thread[h]);
      const lock = names.objectName(store.obj[h]);
      addSite(h, `${holder} took ${lock}`);
      edges.push({ fromRow: p.wait, toRow: h, label: `waits for ${lock}` });
      if (!holdSteps.has(h)) steps.push({ ts: store.ts[h], text: `${holder} took ${lock}${names.at(h)}` });
      holdSteps.add(h);
    }
    if (!p.anyone && p.blockers.length === 0) {
      for (const target of p.wakers) {
        const q = ep.parties.find((x) => x.thread === target);
        if (q) edges.push({ fromRow: p.wait, toRow: q.wait, label: kind === K.PROCESS_JOIN ? 'waits for it to exit' : 'waits for it to finish' });
      }
    }
    if (p.anyone) {
      for (const q of core) if (q !== p && edges.length < 16) edges.push({ fromRow: p.wait, toRow: q.wait, label: 'blocked too' });
    }
  }
  steps.sort((x, y) => x.ts - y.ts);
  const stepTexts = steps.map((x) => x.text);
  if (ep.endedBy === 'ongoing') stepTexts.push(`still blocked after ${lastedMs} ms`);
  else stepTexts.push(`${lastedMs} ms later: ended by ${ep.endedBy}`);
  const startTs = Math.min(ep.startTs, ...events.map((r) => store.ts[r]));
  return {
    id: `deadlock:${core.map((p) => `${store.kind[p.wait]}:${store.obj[p.wait]}`).sort().join(',')}`,
    kind: 'deadlock',
    severity: 'error',
    message,
    explanation: EXPLANATIONS[shape],
    parties: ep.parties.map((p) => names.party(p.thread)),
    objects: [...objects.values()],
    sites,
    window: { startTs, endTs: Math.max(startTs, end) },
    events,
    edges,
    steps: stepTexts,
    details: {
      lastedMs, endedBy: ep.endedBy, episodes: count, ongoing: ep.endedBy === 'ongoing', shape,
    },
  };
}

/** Parties in wait-for order: from the one that waited first, each followed by the one it waits for. */
function chainOrder(store: TraceStore, core: PartyView[]): PartyView[] {
  const left = new Set(core);
  const out: PartyView[] = [];
  while (left.size > 0) {
    let p: PartyView | undefined = [...left].reduce((a, b) => (store.ts[b.wait] < store.ts[a.wait] ? b : a));
    while (p && left.has(p)) {
      left.delete(p);
      out.push(p);
      const next: PartyView | undefined = [...left].find((q) => p!.wakers.includes(q.thread));
      p = next;
    }
  }
  return out;
}

/** What another thread would have to do to end an anyone-can-end-it wait. */
const ACTS: Record<number, string> = {
  [K.QUEUE_GET]: 'put an item', [K.QUEUE_PUT]: 'take an item', [K.QUEUE_JOIN]: 'call task_done()', [K.COND_WAIT]: 'notify it',
  [K.EVENT_WAIT]: 'set it', [K.BARRIER_WAIT]: 'reach the barrier', [K.PIPE_RECV]: 'send', [K.PIPE_SEND]: 'read',
};

function shapeOf(store: TraceStore, ep: EpisodeView): Shape {
  const core = ep.parties.filter((p) => !p.alsoBlocked);
  const kinds = new Set(core.map((p) => store.kind[p.wait]));
  if (core.some((p) => p.blockers.some((h) => store.thread[h] === p.thread))) return 'self';
  if (core.some((p) => p.blockers.length > 0 && p.wakers.every((t) => !ep.parties.some((q) => q.thread === t)))) return 'abandoned';
  if (ep.lockOnly) return 'locks';
  if (kinds.has(K.PROCESS_JOIN) && (kinds.has(K.PIPE_SEND) || kinds.has(K.QUEUE_PUT))) return 'drain';
  if (kinds.has(TASK_WAIT)) return kinds.has(K.LOCK_WAIT) ? 'heldWhileWaiting' : 'futures';
  if (kinds.has(K.COND_WAIT)) return 'condition';
  if (kinds.has(K.EVENT_WAIT)) return 'event';
  if (kinds.has(K.QUEUE_JOIN)) return 'taskDone';
  if (kinds.has(K.QUEUE_GET) || kinds.has(K.QUEUE_PUT)) return 'queue';
  if (kinds.has(K.THREAD_JOIN) || kinds.has(K.PROCESS_JOIN)) return 'join';
  return 'other';
}

/** "waits for lock_b", "joins worker", "waits to get from q". */
function shortWait(store: TraceStore, names: Names, p: PartyView): string {
  const row = p.wait;
  const obj = store.obj[row];
  const name = (): string => names.objectName(obj);
  switch (store.kind[row]) {
    case K.LOCK_WAIT: return `waits for ${name()}`;
    case K.THREAD_JOIN: return `joins ${p.wakers.length ? names.threadName(p.wakers[0]) : 'a thread'}`;
    case K.PROCESS_JOIN: return `joins ${processName(store, obj)}`;
    case K.COND_WAIT: return `waits on ${name()}`;
    case K.EVENT_WAIT: return `waits for ${name()} to be set`;
    case K.BARRIER_WAIT: return `waits at ${name()}`;
    case K.QUEUE_GET: return `waits to get from ${name()}`;
    case K.QUEUE_PUT: return `waits to put on ${name()} (full)`;
    case K.QUEUE_JOIN: return `waits for ${name()} to be processed (join)`;
    case K.PIPE_SEND: return store.objects.has(obj) ? `waits to write ${name()}'s items into its pipe (full)` : 'waits to send on a pipe (full)';
    case K.PIPE_RECV: return store.objects.has(obj) ? `waits to receive from ${name()}` : 'waits to receive from a pipe';
    case TASK_WAIT: return `waits for ${taskName(store, names, row)}`;
    default: return 'waits';
  }
}

/** The multiprocessing docs' join-before-drain, told the way the docs tell it. */
function drainMessage(store: TraceStore, names: Names, core: PartyView[], tail: string): string | undefined {
  const join = core.find((p) => store.kind[p.wait] === K.PROCESS_JOIN);
  const feeder = core.find((p) => store.kind[p.wait] === K.PIPE_SEND || store.kind[p.wait] === K.QUEUE_PUT);
  if (!join || !feeder) return undefined;
  const child = processName(store, store.obj[join.wait]);
  const queue = names.objectName(store.obj[feeder.wait]);
  return `Deadlock: ${names.threadName(join.thread)} joins ${child}${names.at(join.wait)} before getting its items from ${queue}, but ${child} cannot exit until its queue feeder has written them into the pipe, which is full and only read by get() (${tail}).`;
}

/** "the result of wait_on_a()", "3 tasks of Pool(4)". */
function taskName(store: TraceStore, names: Names, row: number): string {
  if (store.a[row] !== 0) return 'several tasks';
  const fn = names.taskFunction(store.obj[row]);
  return fn ? `the result of ${fn}()` : 'the result of a task';
}

function processName(store: TraceStore, pid: number): string {
  const p = store.processByPid(pid);
  return p ? `${p.name} (pid ${pid})` : `process ${pid}`;
}

/** One party's wait, with what blocks it, for the message. */
function waitPhrase(store: TraceStore, names: Names, p: PartyView, ep: EpisodeView): string {
  const who = names.threadName(p.thread);
  const row = p.wait;
  const what = shortWait(store, names, p);
  if (store.kind[row] === K.LOCK_WAIT && p.blockers.length > 0) {
    const holders = p.blockers.map((h) => store.thread[h]);
    if (holders.includes(p.thread)) return `${who} waits for ${names.objectName(store.obj[row])}${names.at(row)}, which it already holds (taken${names.at(p.blockers[holders.indexOf(p.thread)])})`;
    const dead = p.blockers.filter((h) => !ep.parties.some((q) => q.thread === store.thread[h]));
    const desc = p.blockers.map((h) => names.threadName(store.thread[h])).join(' and ');
    if (dead.length === p.blockers.length) {
      return `${who} ${what}${names.at(row)}, which ${desc} took${names.at(p.blockers[0])} and never released before it ended`;
    }
    return `${who} ${what}${names.at(row)} held by ${desc}`;
  }
  if (p.note) return `${who} ${what}${names.at(row)}${p.note}`;
  if (p.anyone) {
    const act = ACTS[store.kind[row]] ?? 'end the wait';
    const others = p.wakers.map((t) => names.threadName(t));
    if (others.length === 0) return `${who} ${what}${names.at(row)}, but no other thread is left to ${act}`;
    if (others.length === 1) return `${who} ${what}${names.at(row)}, but the only other thread that could ${act}, ${others[0]}, is blocked too`;
    return `${who} ${what}${names.at(row)}, but every other thread that could ${act} (${others.slice(0, 4).join(', ')}${others.length > 4 ? ', …' : ''}) is blocked too`;
  }
  return `${who} ${what}${names.at(row)}`;
}
