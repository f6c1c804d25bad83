/**
 * Keeping the numbers of several traces apart when they go into one store.
 *
 * The fields of a record hold numbers from different spaces (events.py):
 * - pids: one space per trace. Two traces may hold the same pid for two
 *   processes (two machines, or one machine at two times); a colliding pid
 *   gets a fresh number no Linux process can have (above PID_MAX_LIMIT).
 * - local ids (writer object ids, message ids, task ids, asyncio task ids):
 *   below 2^51 and meaningful inside one trace only. They are built from
 *   pids or counters, so two traces produce the same ones; each trace but
 *   the first gets them moved by an offset of its own (mod 2^51), which
 *   keeps consecutive ids consecutive (a task group lists ranges).
 * - channel ids (2^52 + device and inode of a pipe or socket): one space per
 *   machine. Two traces of one host keep them (a Unix socket between two runs
 *   pairs), other hosts get theirs moved. The channels of TCP connections are
 *   derived from both endpoints' addresses, the same in both traces: they are
 *   listed by CONN_OPEN records and never moved.
 * - derived ids (Manager objects and queues, shared memory, lock names):
 *   2^51 and up outside the channel range; the same in every process that
 *   uses the object, on any host: kept, so the traces pair through them.
 */
import { kindInfo } from '../recordKinds';
import type { TraceStore } from '../traceStore';

/** No Linux pid reaches this (PID_MAX_LIMIT on 64-bit): remapped pids start here. */
export const FIRST_FRESH_PID = 4194304;
const LOCAL_SPACE = 2 ** 51;
const CHANNEL_BASE = 2 ** 52;
const CHANNEL_SPACE = 2 ** 51;

export type FieldRole = 'pid' | 'local' | 'auto' | 'message' | 'part' | 'core' | 'keep';

interface KindRoles {
  obj: FieldRole;
  a: FieldRole;
  b: FieldRole;
}

const roles = (obj: FieldRole, a: FieldRole = 'keep', b: FieldRole = 'keep'): KindRoles => ({ obj, a, b });

/** By record name, so kinds another build adds or drops cost nothing here. */
const ROLES_BY_NAME: Record<string, KindRoles> = {
  PROCESS_START: roles('pid', 'pid'),
  PROCESS_EXIT: roles('pid'),
  PROCESS_SPAWN: roles('pid', 'auto'),
  PROCESS_JOIN: roles('pid'),
  PROCESS_TERMINATE: roles('pid'),
  CHILD_PROCESS: roles('pid'),
  PROCESS_NAME: roles('pid'),
  PROCESS_PARENT: roles('pid', 'pid'),
  THREAD_START: roles('keep'),
  THREAD_SPAWN: roles('keep'),
  THREAD_JOIN: roles('keep'),
  THREAD_NAME: roles('keep'),
  THREAD_EXCEPTION: roles('keep'),
  QUEUE_PUT: roles('auto', 'message'),
  QUEUE_GET: roles('auto', 'message'),
  PIPE_SEND: roles('auto', 'keep', 'local'),
  PIPE_OPEN: roles('auto', 'auto', 'auto'),
  TASK_SUBMIT: roles('local', 'auto'),
  TASK_RUN: roles('local'),
  TASK_RESULT: roles('local'),
  TASK_WAIT: roles('local'),
  TASK_WAIT_MEMBER: roles('local', 'local'),
  SHARED_READ: roles('auto', 'keep', 'part'),
  SHARED_WRITE: roles('auto', 'keep', 'part'),
  ASYNC_CREATE: roles('local'),
  ASYNC_RUN: roles('local'),
  ASYNC_END: roles('local'),
  SAMPLE_CPU: roles('pid'),
  SAMPLE_CORE: roles('core'),
  SLEEP: roles('keep'),
  IO_WRITE: roles('keep'),
  CONN_OPEN: roles('keep', 'keep'),
  PROXY_CALL: roles('auto'),
  PROXY_SERVE: roles('auto'),
};

const DEFAULT_ROLES = roles('auto');
const rolesByCode: (KindRoles | undefined)[] = [];
for (const [name, r] of Object.entries(ROLES_BY_NAME)) {
  const k = kindByName(name);
  if (k !== undefined) rolesByCode[k] = r;
}

/** The code of a record kind by its events.py name, undefined when this build has no such kind. */
export function kindByName(name: string): number | undefined {
  for (let c = 0; c < 256; c++) if (kindInfo(c)?.record === name) return c;
  return undefined;
}

export function rolesOf(kind: number): KindRoles {
  return rolesByCode[kind] ?? DEFAULT_ROLES;
}

/** The space a value of an 'auto' field lives in, by its range (events.py). */
export function autoSpace(v: number): 'local' | 'channel' | 'global' | 'none' {
  if (!Number.isInteger(v) || v <= 0) return 'none';
  if (v < LOCAL_SPACE) return 'local';
  if (v >= CHANNEL_BASE && v < CHANNEL_BASE + CHANNEL_SPACE) return 'channel';
  return 'global';
}

/** The renumbering of one trace's values. */
export class PartIds {
  /** Original pid → pid in the merged trace (only pids that had to change). */
  readonly pids = new Map<number, number>();
  /** Added to local ids, mod 2^51 (0 for the first trace). */
  localShift = 0;
  /** Added to channel ids, mod 2^51 (0 for the first host). */
  channelShift = 0;
  /** Channels of TCP connections: derived from addresses, kept. */
  readonly globalChannels = new Set<number>();
  /** Added to core numbers (cores of the second host follow the first's). */
  coreShift = 0;

  pid(v: number): number {
    return this.pids.get(v) ?? v;
  }

  local(v: number): number {
    if (!this.localShift || !Number.isInteger(v) || v <= 0 || v >= LOCAL_SPACE) return v;
    // 1 … 2^51−1 onto itself: never 0 (no id), consecutive ids stay consecutive.
    return ((v - 1 + this.localShift) % (LOCAL_SPACE - 1)) + 1;
  }

  channel(v: number): number {
    if (!this.channelShift || this.globalChannels.has(v)) return v;
    return CHANNEL_BASE + ((v - CHANNEL_BASE + this.channelShift) % CHANNEL_SPACE);
  }

  auto(v: number): number {
    switch (autoSpace(v)) {
      case 'local': return this.local(v);
      case 'channel': return this.channel(v);
      default: return v;
    }
  }
}

/** Every pid a trace names: its processes, threads, objects and pid fields of its events. */
export function pidsOf(store: TraceStore): Set<number> {
  const out = new Set<number>();
  const add = (v: number): void => {
    if (Number.isInteger(v) && v > 0) out.add(v);
  };
  for (const p of store.processes) {
    add(p.pid);
    add(p.ppid);
    add(p.parentPid);
  }
  for (const t of store.threads) add(t.pid);
  for (const o of store.objects.values()) add(o.pid);
  for (let i = 0; i < store.length; i++) {
    const r = rolesOf(store.kind[i]);
    if (r.obj === 'pid') add(store.obj[i]);
    if (r.a === 'pid') add(store.a[i]);
  }
  return out;
}

/** Channels of TCP connections named by CONN_OPEN records (obj: this end, a: the peer's end). */
export function globalChannelsOf(store: TraceStore): Set<number> {
  const out = new Set<number>();
  const conn = kindByName('CONN_OPEN');
  if (conn === undefined) return out;
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== conn) continue;
    out.add(store.obj[i]);
    out.add(store.a[i]);
  }
  return out;
}

/** A shift for trace `index` of a merge (0 for the first): fixed, so a merge gives the same file twice. */
export function shiftFor(index: number, space: number): number {
  if (index === 0) return 0;
  // Golden-ratio steps spread the traces evenly over the space.
  return Math.floor(((index * 0.6180339887498949) % 1) * (space - 2)) + 1;
}

export const LOCAL_IDS = LOCAL_SPACE;
export const CHANNEL_IDS = CHANNEL_SPACE;
