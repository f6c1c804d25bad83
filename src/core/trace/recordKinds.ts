/**
 * The runtime's record kinds (src/runtime/concurrency_trace/events.py) and how
 * each maps onto the event vocabulary of DESIGN.md. The numbers are a file
 * format; test/unit/recordKinds.test.ts checks this table against events.py.
 */

/** What a record's a / b / end field holds, so the reader can resolve strings. */
export type FieldType = 'num' | 'str' | 'none';

export interface RecordKindInfo {
  readonly code: number;
  /** Name in events.py. */
  readonly record: string;
  /** Vocabulary name used in counts, the summary and the UI. */
  readonly event: string;
  /** A span: its end field is the end time (0 while open). */
  readonly span: boolean;
  readonly a: FieldType;
  readonly b: FieldType;
  /** Metadata records (sites, objects, names) are folded into tables, not kept as events. */
  readonly meta?: boolean;
}

const k = (code: number, record: string, event: string, span: boolean, a: FieldType, b: FieldType, meta = false): RecordKindInfo =>
  ({ code, record, event, span, a, b, meta });

export const RECORD_KINDS: readonly RecordKindInfo[] = [
  k(1, 'SITE', 'site', false, 'str', 'num', true),
  k(2, 'OBJECT', 'object', false, 'str', 'str', true),
  k(3, 'PROCESS_START', 'process.start', false, 'num', 'str'),
  k(4, 'PROCESS_EXIT', 'process.exit', false, 'num', 'num'),
  k(5, 'PROCESS_SPAWN', 'process.spawn', true, 'num', 'num'),
  k(6, 'PROCESS_JOIN', 'process.join', true, 'num', 'num'),
  k(7, 'PROCESS_TERMINATE', 'process.terminate', false, 'num', 'num'),
  k(8, 'THREAD_START', 'thread.start', true, 'str', 'num'),
  k(9, 'THREAD_SPAWN', 'thread.spawn', true, 'num', 'num'),
  k(10, 'THREAD_JOIN', 'thread.join', true, 'num', 'num'),
  k(11, 'THREAD_NAME', 'thread.name', false, 'str', 'num', true),
  k(12, 'THREAD_EXCEPTION', 'thread.exception', false, 'str', 'num'),
  k(13, 'CHILD_PROCESS', 'process.child', false, 'str', 'num'),
  k(14, 'PROCESS_NAME', 'process.name', false, 'str', 'num', true),
  k(15, 'PROCESS_PARENT', 'process.parent', false, 'num', 'num', true),
  k(16, 'TRACER_STATUS', 'tracer.status', false, 'num', 'num'),
  k(17, 'EVENTS_LOST', 'events.lost', false, 'num', 'num'),
  k(18, 'TRACER_NOTE', 'tracer.note', false, 'str', 'num'),
  k(20, 'LOCK_WAIT', 'lock.wait', true, 'num', 'num'),
  k(21, 'LOCK_HOLD', 'lock.acquire', true, 'num', 'num'),
  k(22, 'LOCK_TRY_FAIL', 'lock.timeout', false, 'num', 'num'),
  k(23, 'COND_WAIT', 'condition.wait', true, 'num', 'num'),
  k(24, 'COND_NOTIFY', 'condition.notify', false, 'num', 'num'),
  k(25, 'EVENT_WAIT', 'event.wait', true, 'num', 'num'),
  k(26, 'EVENT_SET', 'event.set', false, 'num', 'num'),
  k(27, 'BARRIER_WAIT', 'barrier.wait', true, 'num', 'num'),
  k(28, 'LOCK_RELEASE', 'lock.release', false, 'num', 'num'),
  k(30, 'QUEUE_PUT', 'queue.put', true, 'num', 'num'),
  k(31, 'QUEUE_GET', 'queue.get', true, 'num', 'num'),
  k(32, 'PIPE_SEND', 'pipe.send', true, 'num', 'num'),
  k(33, 'PIPE_RECV', 'pipe.recv', true, 'num', 'num'),
  k(34, 'QUEUE_TASK_DONE', 'queue.task_done', true, 'num', 'num'),
  k(35, 'QUEUE_JOIN', 'queue.join', true, 'num', 'num'),
  k(36, 'PIPE_OPEN', 'pipe.open', false, 'num', 'num', true),
  k(40, 'TASK_SUBMIT', 'task.submit', false, 'num', 'str'),
  k(41, 'TASK_RUN', 'task.start', true, 'str', 'str'),
  k(42, 'TASK_RESULT', 'task.result', false, 'num', 'num'),
  k(43, 'TASK_WAIT', 'task.wait', true, 'num', 'num'),
  k(44, 'TASK_WAIT_MEMBER', 'task.wait.member', false, 'num', 'num', true),
  k(50, 'SHARED_READ', 'shared.read', false, 'str', 'num'),
  k(51, 'SHARED_WRITE', 'shared.write', false, 'str', 'num'),
  k(60, 'ASYNC_CREATE', 'asyncio.task.create', false, 'str', 'str'),
  k(61, 'ASYNC_RUN', 'asyncio.task.step', true, 'num', 'num'),
  k(62, 'ASYNC_END', 'asyncio.task.end', false, 'num', 'num'),
  k(63, 'ASYNC_WAIT', 'asyncio.task.wait', true, 'num', 'num'),
  k(64, 'ASYNC_HOLD', 'asyncio.lock.hold', true, 'num', 'num'),
  k(70, 'SLEEP', 'sleep', true, 'num', 'num'),
  k(71, 'IO_WRITE', 'io.write', false, 'str', 'num'),
  k(80, 'CONN_OPEN', 'connection.open', false, 'num', 'str', true),
  k(81, 'PROXY_CALL', 'manager.call', true, 'str', 'num'),
  k(82, 'PROXY_SERVE', 'manager.serve', true, 'str', 'num'),
  k(110, 'REMOTE_PROCESS', 'remote.process', false, 'str', 'num', true),
  k(111, 'REMOTE_THREAD', 'remote.thread', false, 'str', 'num', true),
  k(112, 'REMOTE_CLOCK', 'remote.clock', false, 'num', 'num', true),
  k(113, 'REMOTE_TASK_RUN', 'remote.task.start', true, 'str', 'num'),
];

/** Kinds written by the Node side (sampler), never by the runtime. */
export const SAMPLE_CPU = 200;
export const SAMPLE_CORE = 201;
export const SAMPLE_KINDS: readonly RecordKindInfo[] = [
  k(SAMPLE_CPU, 'SAMPLE_CPU', 'sample.cpu', false, 'num', 'num'),
  k(SAMPLE_CORE, 'SAMPLE_CORE', 'sample.core', false, 'num', 'num'),
];

// Indexed by code: the collector looks a kind up for every record.
const byCode: (RecordKindInfo | undefined)[] = [];
for (const info of [...RECORD_KINDS, ...SAMPLE_KINDS]) byCode[info.code] = info;
const byRecord = new Map<string, RecordKindInfo>();
for (const info of [...RECORD_KINDS, ...SAMPLE_KINDS]) byRecord.set(info.record, info);

export function kindInfo(code: number): RecordKindInfo | undefined {
  return byCode[code];
}

/** The code of a record kind by its events.py name; throws on a typo. */
export function code(record: string): number {
  const info = byRecord.get(record);
  if (!info) throw new Error(`unknown record kind ${record}`);
  return info.code;
}

export const K = {
  SITE: code('SITE'), OBJECT: code('OBJECT'),
  PROCESS_START: code('PROCESS_START'), PROCESS_EXIT: code('PROCESS_EXIT'), PROCESS_SPAWN: code('PROCESS_SPAWN'),
  PROCESS_JOIN: code('PROCESS_JOIN'), PROCESS_TERMINATE: code('PROCESS_TERMINATE'), PROCESS_NAME: code('PROCESS_NAME'), PROCESS_PARENT: code('PROCESS_PARENT'),
  THREAD_START: code('THREAD_START'), THREAD_SPAWN: code('THREAD_SPAWN'), THREAD_JOIN: code('THREAD_JOIN'),
  THREAD_NAME: code('THREAD_NAME'), THREAD_EXCEPTION: code('THREAD_EXCEPTION'), CHILD_PROCESS: code('CHILD_PROCESS'),
  TRACER_STATUS: code('TRACER_STATUS'), EVENTS_LOST: code('EVENTS_LOST'), TRACER_NOTE: code('TRACER_NOTE'),
  LOCK_WAIT: code('LOCK_WAIT'), LOCK_HOLD: code('LOCK_HOLD'), LOCK_TRY_FAIL: code('LOCK_TRY_FAIL'), LOCK_RELEASE: code('LOCK_RELEASE'),
  COND_WAIT: code('COND_WAIT'), COND_NOTIFY: code('COND_NOTIFY'), EVENT_WAIT: code('EVENT_WAIT'),
  EVENT_SET: code('EVENT_SET'), BARRIER_WAIT: code('BARRIER_WAIT'),
  QUEUE_PUT: code('QUEUE_PUT'), QUEUE_GET: code('QUEUE_GET'), PIPE_SEND: code('PIPE_SEND'), PIPE_RECV: code('PIPE_RECV'),
  QUEUE_TASK_DONE: code('QUEUE_TASK_DONE'), QUEUE_JOIN: code('QUEUE_JOIN'), PIPE_OPEN: code('PIPE_OPEN'),
  TASK_SUBMIT: code('TASK_SUBMIT'), TASK_RUN: code('TASK_RUN'), TASK_RESULT: code('TASK_RESULT'),
  SHARED_READ: code('SHARED_READ'), SHARED_WRITE: code('SHARED_WRITE'),
  ASYNC_CREATE: code('ASYNC_CREATE'), ASYNC_RUN: code('ASYNC_RUN'), ASYNC_END: code('ASYNC_END'), ASYNC_WAIT: code('ASYNC_WAIT'), ASYNC_HOLD: code('ASYNC_HOLD'),
  SLEEP: code('SLEEP'), IO_WRITE: code('IO_WRITE'),
  CONN_OPEN: code('CONN_OPEN'), PROXY_CALL: code('PROXY_CALL'), PROXY_SERVE: code('PROXY_SERVE'),
  REMOTE_PROCESS: code('REMOTE_PROCESS'), REMOTE_THREAD: code('REMOTE_THREAD'), REMOTE_CLOCK: code('REMOTE_CLOCK'),
  REMOTE_TASK_RUN: code('REMOTE_TASK_RUN'),
  SAMPLE_CPU, SAMPLE_CORE,
} as const;
