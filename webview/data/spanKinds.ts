/**
 * How each record kind shows on the timeline: as a span or a point of which
 * state category (colour, legend entry), and the text it is labelled with.
 */
import { ObjectNames } from '../../src/core/naming/objectNames';
import { K, kindInfo, RECORD_KINDS } from '../../src/core/trace/recordKinds';
import type { TraceStore } from '../../src/core/trace/traceStore';

export type Category =
  | 'running' | 'lockWait' | 'lockHold' | 'queue' | 'join' | 'sync' | 'sleep' | 'task' | 'await' | 'spawn' | 'async' | 'shared' | 'lifecycle';

export interface CategoryInfo {
  id: Category;
  label: string;
  /** What the legend says it covers. */
  title: string;
}

export const CATEGORIES: readonly CategoryInfo[] = [
  { id: 'running', label: 'running', title: 'Thread alive; shading = CPU % from the sampler' },
  { id: 'lockWait', label: 'lock wait', title: 'Waiting to acquire a lock (lock.wait)' },
  { id: 'lockHold', label: 'lock held', title: 'Holding a lock (lock.acquire → release)' },
  { id: 'queue', label: 'queue / pipe', title: 'queue put/get, pipe send/recv, queue join' },
  { id: 'join', label: 'join', title: 'Thread.join / Process.join' },
  { id: 'sync', label: 'cond / event / barrier', title: 'Condition, Event and Barrier waits' },
  { id: 'sleep', label: 'sleep', title: 'time.sleep' },
  { id: 'task', label: 'pool task', title: 'A pool / executor task running on a worker' },
  { id: 'await', label: 'await / result wait', title: 'An asyncio task waiting in an await; Future.result(), AsyncResult.get(), wait()' },
  { id: 'spawn', label: 'start', title: 'Thread.start / Process.start' },
  { id: 'async', label: 'asyncio step', title: 'One step of an asyncio task' },
  { id: 'shared', label: 'shared access', title: 'Value / Array / Manager reads and writes' },
  { id: 'lifecycle', label: 'lifecycle', title: 'Process start/exit, exceptions, terminate' },
];

const SPAN_CATEGORY = new Map<number, Category>([
  [K.LOCK_WAIT, 'lockWait'], [K.LOCK_HOLD, 'lockHold'],
  [K.QUEUE_PUT, 'queue'], [K.QUEUE_GET, 'queue'], [K.PIPE_SEND, 'queue'], [K.PIPE_RECV, 'queue'],
  [K.QUEUE_TASK_DONE, 'queue'], [K.QUEUE_JOIN, 'queue'],
  // A Manager proxy call (caller) and its handler (server): messages like a queue's.
  [K.PROXY_CALL, 'queue'], [K.PROXY_SERVE, 'queue'],
  [K.THREAD_JOIN, 'join'], [K.PROCESS_JOIN, 'join'],
  [K.COND_WAIT, 'sync'], [K.EVENT_WAIT, 'sync'], [K.BARRIER_WAIT, 'sync'],
  [K.SLEEP, 'sleep'], [K.TASK_RUN, 'task'],
  [K.THREAD_SPAWN, 'spawn'], [K.PROCESS_SPAWN, 'spawn'],
  [K.ASYNC_RUN, 'async'],
]);

const POINT_CATEGORY = new Map<number, Category>([
  [K.LOCK_TRY_FAIL, 'lockWait'], [K.LOCK_RELEASE, 'lockHold'],
  [K.COND_NOTIFY, 'sync'], [K.EVENT_SET, 'sync'],
  [K.TASK_SUBMIT, 'task'], [K.TASK_RESULT, 'task'],
  [K.SHARED_READ, 'shared'], [K.SHARED_WRITE, 'shared'],
  [K.PROCESS_START, 'lifecycle'], [K.PROCESS_EXIT, 'lifecycle'], [K.PROCESS_TERMINATE, 'lifecycle'],
  [K.THREAD_EXCEPTION, 'lifecycle'], [K.CHILD_PROCESS, 'spawn'],
  [K.ASYNC_CREATE, 'async'], [K.ASYNC_END, 'async'],
]);

/**
 * Record kinds reserved for waits (events.py): 43–49 waits on futures and pool results, 63–69
 * asyncio waits and synchronisation. Whatever the runtime adds there is drawn from the kind
 * table alone: its spans as waits ('await'), its points as task / asyncio marks. An asyncio
 * await span goes on the lane of the task that was running when it began (timelineData).
 */
export const FUTURE_WAIT_KINDS = { from: 43, to: 49 } as const;
export const ASYNC_WAIT_KINDS = { from: 63, to: 69 } as const;
const inRange = (code: number, r: { from: number; to: number }): boolean => code >= r.from && code <= r.to;
for (const info of RECORD_KINDS) {
  if (info.meta || SPAN_CATEGORY.has(info.code) || POINT_CATEGORY.has(info.code)) continue;
  if (inRange(info.code, FUTURE_WAIT_KINDS)) (info.span ? SPAN_CATEGORY : POINT_CATEGORY).set(info.code, info.span ? 'await' : 'task');
  else if (inRange(info.code, ASYNC_WAIT_KINDS)) (info.span ? SPAN_CATEGORY : POINT_CATEGORY).set(info.code, info.span ? 'await' : 'async');
}

export function isAsyncWaitKind(kind: number): boolean {
  return inRange(kind, ASYNC_WAIT_KINDS);
}

/**
 * Spans in which a thread does not want the CPU: it waits for a lock, a queue, a pipe, a join,
 * a condition / event / barrier, a sleep, a result. (A loop thread's awaits are not thread
 * waits: the loop runs other tasks meanwhile.)
 */
const WAIT_KINDS = new Set<number>([
  K.LOCK_WAIT, K.COND_WAIT, K.EVENT_WAIT, K.BARRIER_WAIT, K.SLEEP, K.THREAD_JOIN, K.PROCESS_JOIN,
  K.QUEUE_GET, K.QUEUE_PUT, K.PIPE_RECV, K.QUEUE_JOIN, K.PROXY_CALL,
]);

export function isWaitKind(kind: number): boolean {
  return WAIT_KINDS.has(kind) || (inRange(kind, FUTURE_WAIT_KINDS) && SPAN_CATEGORY.get(kind) === 'await');
}

// Arrays by kind code: looked up for every span drawn.
const spanByKind: (Category | undefined)[] = [];
for (const [kind, cat] of SPAN_CATEGORY) spanByKind[kind] = cat;
const pointByKind: (Category | undefined)[] = [];
for (const [kind, cat] of POINT_CATEGORY) pointByKind[kind] = cat;

/** Kinds drawn as spans on a thread (or asyncio task) lane. */
export function spanCategory(kind: number): Category | undefined {
  return spanByKind[kind];
}

/** Kinds drawn as point markers on a lane. */
export function pointCategory(kind: number): Category | undefined {
  return pointByKind[kind];
}

export function categoryOf(kind: number): Category {
  return SPAN_CATEGORY.get(kind) ?? POINT_CATEGORY.get(kind) ?? 'lifecycle';
}

export function eventName(kind: number): string {
  return kindInfo(kind)?.event ?? `kind ${kind}`;
}

/** Every event name, for search by kind. */
export function allEventKinds(): { kind: number; event: string }[] {
  return [...SPAN_CATEGORY.keys(), ...POINT_CATEGORY.keys(), K.IO_WRITE].map((kind) => ({ kind, event: eventName(kind) }));
}

/** An object's name: the name the user gave it, numbered when two share one (core/naming). */
export function objectLabel(store: TraceStore, id: number): string {
  return ObjectNames.of(store).name(id);
}

/**
 * A shared access's value (events.py SHARED_*: a < 0 an int stored inline as −(2**51 + v),
 * a > 0 a string of the trace, 0 none) and the part of the object it touched (0 the whole
 * object, odd 2i + 1 the element i, even 2 × a string: a field, attribute or key).
 */
export function sharedValue(store: TraceStore, a: number): string | undefined {
  if (a < 0) return String(-a - 2 ** 51);
  if (a > 0) return store.strings[a] ?? undefined;
  return undefined;
}

export function sharedTarget(store: TraceStore, obj: number, part: number): string {
  const base = objectLabel(store, obj);
  if (!part) return base;
  if (part % 2 !== 0) return `${base}[${(part - 1) / 2}]`;
  const name = store.strings[part / 2] ?? '';
  const type = store.objects.get(obj)?.type ?? '';
  if (type === 'Python.globals' || type === 'Python.cell') return name || base;
  return /dict$/i.test(type) ? `${base}[${name}]` : `${base}.${name}`;
}

export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${Math.round(ns)} ns`;
  if (abs < 1e6) return `${+(ns / 1e3).toPrecision(3)} µs`;
  if (abs < 1e9) return `${+(ns / 1e6).toPrecision(3)} ms`;
  return `${+(ns / 1e9).toPrecision(4)} s`;
}

/**
 * The thread of a process with an ident at a time: idents are reused once a thread has ended,
 * so the one started by a start() is the first to start from its beginning on, and the one a
 * join() waits for the last to start before it.
 */
function threadByIdent(store: TraceStore, pid: number, ident: number, ts: number, started: boolean): string {
  let best: { name: string; startTs: number } | undefined;
  for (const t of store.threads) {
    if (t.pid !== pid || t.ident !== ident) continue;
    const fits = started ? t.startTs >= ts : t.startTs <= ts;
    if (!fits) continue;
    if (!best || (started ? t.startTs < best.startTs : t.startTs > best.startTs)) best = t;
  }
  if (best) return best.name;
  for (const t of store.threads) if (t.pid === pid && t.ident === ident) return t.name;
  return `thread ${ident}`;
}

function processLabel(store: TraceStore, pid: number): string {
  const p = store.processByPid(pid);
  return p ? `${p.name} (${pid})` : `pid ${pid}`;
}

/**
 * The short text a span or point is labelled with on the canvas and in tooltips.
 * `taskName` names the asyncio task of an ASYNC_* row (TimelineData.taskName).
 */
export function eventLabel(store: TraceStore, row: number, taskName?: (row: number) => string | undefined): string {
  const kind = store.kind[row];
  const obj = store.obj[row];
  const a = store.a[row];
  const th = store.threads[store.thread[row]];
  const str = (i: number): string => store.strings[i] ?? '';
  switch (kind) {
    case K.LOCK_WAIT: return `wait ${objectLabel(store, obj)}`;
    case K.LOCK_HOLD: return objectLabel(store, obj);
    case K.LOCK_TRY_FAIL: return `try failed ${objectLabel(store, obj)}`;
    case K.LOCK_RELEASE: return `release ${objectLabel(store, obj)}`;
    case K.COND_WAIT: case K.EVENT_WAIT: return `wait ${objectLabel(store, obj)}`;
    case K.BARRIER_WAIT: return `barrier ${objectLabel(store, obj)}`;
    case K.COND_NOTIFY: return `notify ${objectLabel(store, obj)}`;
    case K.EVENT_SET: return `${store.b[row] === 1 ? 'clear' : 'set'} ${objectLabel(store, obj)}`;
    case K.QUEUE_PUT: return `put ${objectLabel(store, obj)}`;
    case K.QUEUE_GET: return `get ${objectLabel(store, obj)}`;
    case K.PIPE_SEND: return `send ${objectLabel(store, obj)}`;
    case K.PIPE_RECV: return `recv ${objectLabel(store, obj)}`;
    case K.QUEUE_JOIN: return `join ${objectLabel(store, obj)}`;
    case K.QUEUE_TASK_DONE: return `task_done ${objectLabel(store, obj)}`;
    case K.THREAD_JOIN: return `join ${th ? threadByIdent(store, th.pid, obj, store.ts[row], false) : obj}`;
    case K.THREAD_SPAWN: return `start ${th ? threadByIdent(store, th.pid, obj, store.ts[row], true) : obj}`;
    case K.PROCESS_JOIN: return `join ${processLabel(store, obj)}`;
    case K.PROCESS_SPAWN: return `start ${processLabel(store, obj)}`;
    case K.CHILD_PROCESS: return `child ${processLabel(store, obj)}`;
    case K.PROCESS_TERMINATE: return `signal ${a} → ${processLabel(store, obj)}`;
    case K.PROCESS_START: return 'process start';
    case K.PROCESS_EXIT: return `exit ${store.b[row] === 1 ? a : '?'}`;
    case K.THREAD_EXCEPTION: return `exception: ${str(a)}`;
    case K.SLEEP: return a >= 0 ? `sleep ${formatDuration(a)}` : 'sleep';
    case K.TASK_RUN: return taskRunLabel(str(a), str(store.b[row]));
    case K.TASK_SUBMIT: return `submit ${str(store.b[row]) || 'task'}`;
    case K.TASK_RESULT: return a === 1 ? 'result' : a === 2 ? 'cancelled' : 'raised';
    case K.SHARED_READ: {
      const v = sharedValue(store, a);
      return `read ${sharedTarget(store, obj, store.b[row])}${v === undefined ? '' : ` → ${v}`}`;
    }
    case K.SHARED_WRITE: {
      const v = sharedValue(store, a);
      return `write ${sharedTarget(store, obj, store.b[row])}${v === undefined ? '' : ` = ${v}`}`;
    }
    case K.ASYNC_CREATE: return `create ${str(a) || 'task'}`;
    case K.ASYNC_END: return `${taskName?.(row) ?? 'task'} ${a === 1 ? 'done' : a === 2 ? 'cancelled' : 'raised'}`;
    case K.ASYNC_RUN: return taskName?.(row) ?? 'step';
    case K.ASYNC_WAIT: return asyncWaitLabel(store, row);
    case K.IO_WRITE: return str(a);
    default: {
      // Kinds drawn from the table alone (see FUTURE_WAIT_KINDS): their name and object.
      const name = eventName(kind).replace(/^asyncio\./, '');
      return store.objects.has(obj) ? `${name} ${objectLabel(store, obj)}` : name;
    }
  }
}

/** What a suspended asyncio task waits on (ASYNC_WAIT's b, events.py), in the words of the await. */
const ASYNC_AWAITS: Record<number, string> = {
  2: 'await future', 3: 'await task', 4: 'await gather', 5: 'await asyncio.wait', 6: 'await asyncio.wait (first)',
  7: 'await asyncio.wait (first exception)', 8: 'TaskGroup exit', 9: 'get', 10: 'put (full)', 11: 'join', 12: 'acquire',
  13: 'wait', 14: 'wait', 15: 'acquire', 16: 'barrier', 17: 'await I/O',
};

function asyncWaitLabel(store: TraceStore, row: number): string {
  const how = store.b[row];
  if (how === 1) {
    const e = store.end[row];
    return Number.isNaN(e) ? 'asyncio.sleep' : `asyncio.sleep ${formatDuration(e - store.ts[row])}`;
  }
  const words = ASYNC_AWAITS[how] ?? 'await';
  // Queue, Lock, Event, Condition, Semaphore and Barrier waits name their object (when the user's code made it).
  return how >= 9 && how <= 16 && store.objects.has(store.a[row]) ? `${words} ${objectLabel(store, store.a[row])}` : words;
}

/**
 * A task's run: a function's call with its arguments ("square(3)"); a label that is not a
 * function's name (a dask key "inc-1f3a…", ('sum-…', 0), ipyparallel's executed code) as it is.
 */
function taskRunLabel(label: string, args: string): string {
  if (!label) return `task(${args})`;
  return /^[\p{L}_<][\p{L}\p{N}_.<>]*$/u.test(label) ? `${label}(${args})` : args ? `${label} (${args})` : label;
}
