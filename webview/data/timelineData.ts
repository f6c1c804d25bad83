/**
 * Everything the timeline draws, indexed from a TraceStore: lanes per thread
 * and per asyncio task, point markers, CPU samples, stdout writes, the run's
 * time range. index() only looks at rows added since the last call, so a live
 * append costs what it adds, not the size of the trace.
 */
import { Naming } from '../../src/core/naming/index';
import { K } from '../../src/core/trace/recordKinds';
import { decodeThreadSample } from '../../src/core/run/threadSample';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { LaneSpans, RowList } from './laneIndex';
import { isAsyncWaitKind, pointCategory, spanCategory } from './spanKinds';

/** An asyncio task as seen on its loop thread. */
export interface AsyncTask {
  id: number;
  name: string;
  coroutine: string;
  /** The library whose coroutine it runs ("dask", "tornado"), '' for the program's own. */
  library: string;
  lane: TaskLane;
  /** Its life: created (or first seen) until it ended (NaN while it has not). */
  t0: number;
  t1: number;
}

/**
 * One lane of asyncio tasks on a loop thread. Tasks whose lives do not overlap share a lane
 * (a program that makes thousands of short tasks gets a few lanes, not thousands).
 */
export interface TaskLane {
  key: string;
  /** The loop thread that runs (or created) its tasks. */
  thread: number;
  spans: LaneSpans;
  points: RowList;
  tasks: AsyncTask[];
  /** Whose tasks it holds: a library's ("dask"; folded with its process's library group) or '' the program's. */
  library: string;
  /** End of its latest task; Infinity while that task has not ended. */
  busyUntil: number;
}

export interface ThreadLane {
  thread: number;
  spans: LaneSpans;
  points: RowList;
  /** SAMPLE_CPU rows of this thread. */
  cpu: RowList;
  /** Its reads and writes of shared memory (drawn as ticks across the lane, with their values). */
  shared: RowList;
  /** Asyncio task lanes run on this thread, by first appearance. */
  tasks: TaskLane[];
  lastSampleTs: number;
}

/**
 * What /proc says about where threads ran: at each per-thread sample, the core the thread was
 * last seen on (field 39 of its stat) and the CPU it used since its previous sample. Nothing
 * about where it ran in between: a thread can move between cores many times in one interval.
 */
export class CoreSightings {
  /** Sample time. */
  ts = new Float64Array(64);
  /** Start of the interval the CPU figure covers. */
  from = new Float64Array(64);
  thread = new Int32Array(64);
  cpu = new Float32Array(64);
  n = 0;

  push(ts: number, from: number, thread: number, cpu: number): void {
    if (this.n === this.ts.length) {
      const grow = <T extends Float64Array | Int32Array | Float32Array>(a: T, make: new (n: number) => T): T => {
        const b = new make(a.length * 2);
        b.set(a);
        return b;
      };
      this.ts = grow(this.ts, Float64Array);
      this.from = grow(this.from, Float64Array);
      this.thread = grow(this.thread, Int32Array);
      this.cpu = grow(this.cpu, Float32Array);
    }
    // Samples of different threads may come slightly out of order: keep ts sorted.
    let at = this.n++;
    while (at > 0 && this.ts[at - 1] > ts) {
      this.ts[at] = this.ts[at - 1];
      this.from[at] = this.from[at - 1];
      this.thread[at] = this.thread[at - 1];
      this.cpu[at] = this.cpu[at - 1];
      at--;
    }
    this.ts[at] = ts;
    this.from[at] = from;
    this.thread[at] = thread;
    this.cpu[at] = cpu;
  }

  /** Index of the first sighting at or after t. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A first sample has no previous one: assume the sampler's usual interval. */
const FIRST_SAMPLE_NS = 50e6;

export class TimelineData {
  readonly threadLanes: ThreadLane[] = [];
  /** Asyncio tasks by pid:task id. */
  readonly tasks = new Map<string, AsyncTask>();
  /** IO_WRITE rows. */
  readonly stdout = new RowList();
  /** SAMPLE_CORE rows per core. */
  readonly coreSamples: RowList[] = [];
  /** Which threads /proc last saw on each core, sample by sample. */
  readonly coreSightings: CoreSightings[] = [];
  /** Per-process SAMPLE_CPU rows (thread −1), by pid. */
  readonly processCpu = new Map<number, RowList>();
  threadSampleCount = 0;
  /** Per thread: the asyncio task of its latest step, so an await begun in a step goes on that task's lane. */
  private readonly stepTask = new Map<number, number>();
  indexed = 0;
  /** How many of store.updatedRows (spans closed after they arrived) have been looked at. */
  private updatesSeen = 0;
  /** Bumped whenever lanes appear or change height: the layout must be redone. */
  structure = 0;
  t0 = Infinity;
  private tSamples0 = Infinity;
  /** The first event that is not a process's or thread's own start (where the program starts doing things). */
  tActivity = Infinity;
  /** The last moment of the program's own events (samples after it are not part of the story). */
  tLast = -Infinity;
  /** Words for processes, threads and objects, kept up to date by index(). */
  readonly naming: Naming;

  constructor(readonly store: TraceStore) {
    this.naming = new Naming(store);
  }

  private lane(thread: number): ThreadLane {
    let lane = this.threadLanes[thread];
    if (!lane) {
      for (let i = this.threadLanes.length; i <= thread; i++) {
        if (!this.threadLanes[i]) this.threadLanes[i] = { thread: i, spans: new LaneSpans(), points: new RowList(), cpu: new RowList(), shared: new RowList(), tasks: [], lastSampleTs: NaN };
      }
      lane = this.threadLanes[thread];
      this.structure++;
    }
    return lane;
  }

  private task(thread: number, taskId: number, ts: number): AsyncTask {
    const pid = this.store.threads[thread]?.pid ?? 0;
    const key = `${pid}:${taskId}`;
    let task = this.tasks.get(key);
    if (!task) {
      const owner = this.lane(thread);
      // A library's tasks never share a lane with the program's: they fold away with the library.
      const library = this.naming.objectLibrary(taskId);
      let lane = owner.tasks.find((l) => l.busyUntil < ts && l.library === library);
      if (!lane) {
        lane = { key: `${thread}:${owner.tasks.length}`, thread, spans: new LaneSpans(), points: new RowList(), tasks: [], library, busyUntil: Infinity };
        owner.tasks.push(lane);
        this.structure++;
      }
      lane.busyUntil = Infinity;
      task = { id: taskId, name: `task ${taskId % 100000}`, coroutine: '', library, lane, t0: ts, t1: NaN };
      lane.tasks.push(task);
      this.tasks.set(key, task);
    }
    return task;
  }

  /** The name of an asyncio task (of the process that ran a row). */
  taskName(row: number): string | undefined {
    const th = this.store.threads[this.store.thread[row]];
    return th ? this.tasks.get(`${th.pid}:${this.store.obj[row]}`)?.name : undefined;
  }

  /** Indexes rows added since the last call; returns true when the layout must change. */
  index(): boolean {
    const s = this.store;
    const before = this.structure;
    for (let t = this.threadLanes.length; t < s.threads.length; t++) this.lane(t);
    for (const p of s.processes) {
      if (Number.isFinite(p.startTs) && p.startTs > 0) this.t0 = Math.min(this.t0, p.startTs);
      if (Number.isFinite(p.endTs)) this.tLast = Math.max(this.tLast, p.endTs);
    }
    // Spans closed since the last call, if later spans were stacked on them while open.
    for (; this.updatesSeen < s.updatedRows.length; this.updatesSeen++) {
      const row = s.updatedRows[this.updatesSeen];
      if (row >= this.indexed) continue;
      const spans = this.spansOf(row);
      if (spans?.closed(s, s.end[row])) this.structure++;
    }
    for (let row = this.indexed; row < s.length; row++) this.indexRow(row);
    this.indexed = s.length;
    this.naming.update();
    return this.structure !== before;
  }

  /** The lane spans a span row was placed in, if any. */
  private spansOf(row: number): LaneSpans | undefined {
    const s = this.store;
    const kind = s.kind[row];
    const thread = s.thread[row];
    if (kind === K.ASYNC_RUN) {
      const pid = s.threads[thread]?.pid ?? 0;
      return this.tasks.get(`${pid}:${s.obj[row]}`)?.lane.spans;
    }
    if (isAsyncWaitKind(kind)) return this.awaitLane(row)?.spans ?? this.threadLanes[thread]?.spans;
    return spanCategory(kind) ? this.threadLanes[thread]?.spans : undefined;
  }

  private indexRow(row: number): void {
    const s = this.store;
    const kind = s.kind[row];
    const ts = s.ts[row];
    const thread = s.thread[row];
    if (ts > 0) {
      // The trace is the program's time: from its first event to its last, not the sampler's
      // ticks before Python ran or after the program ended.
      if (kind !== K.SAMPLE_CORE && kind !== K.SAMPLE_CPU) {
        this.t0 = Math.min(this.t0, ts);
        if (kind !== K.PROCESS_START && kind !== K.THREAD_START && kind !== K.PROCESS_EXIT) this.tActivity = Math.min(this.tActivity, ts);
        this.tLast = Math.max(this.tLast, ts);
        const e = s.end[row];
        if (e > ts) this.tLast = Math.max(this.tLast, e);
      } else this.tSamples0 = Math.min(this.tSamples0, ts);
    }
    if (kind === K.SAMPLE_CORE) {
      const core = s.obj[row];
      this.ensureCore(core);
      this.coreSamples[core].push(row, ts);
      return;
    }
    if (kind === K.SAMPLE_CPU) {
      if (thread < 0) {
        let list = this.processCpu.get(s.obj[row]);
        if (!list) this.processCpu.set(s.obj[row], (list = new RowList()));
        list.push(row, ts);
        return;
      }
      const lane = this.lane(thread);
      lane.cpu.push(row, ts);
      this.threadSampleCount++;
      const from = Number.isNaN(lane.lastSampleTs) ? Math.max(s.threads[thread]?.startTs ?? -Infinity, ts - FIRST_SAMPLE_NS) : lane.lastSampleTs;
      lane.lastSampleTs = ts;
      const { core, state } = decodeThreadSample(s.b[row]);
      if (s.a[row] > 0 || state === 'R') {
        this.ensureCore(core);
        this.coreSightings[core].push(ts, from, thread, s.a[row]);
      }
      return;
    }
    if (kind === K.IO_WRITE) {
      this.stdout.push(row, ts);
      return;
    }
    if (thread < 0 || !s.threads[thread]) return;
    if (kind === K.ASYNC_RUN || kind === K.ASYNC_CREATE || kind === K.ASYNC_END) {
      const task = this.task(thread, s.obj[row], ts);
      const lane = task.lane;
      if (kind === K.ASYNC_CREATE) {
        task.name = s.strings[s.a[row]] || task.name;
        task.coroutine = s.strings[s.b[row]] || '';
        lane.points.push(row, ts);
        this.structure++; // the lane's label may change
      } else if (kind === K.ASYNC_END) {
        lane.points.push(row, ts);
        task.t1 = ts;
        if (lane.tasks[lane.tasks.length - 1] === task) lane.busyUntil = ts;
      } else {
        if (lane.spans.add(s, row)) this.structure++;
        this.stepTask.set(thread, s.obj[row]);
      }
      lane.spans.objs.add(s.obj[row]);
      return;
    }
    if (isAsyncWaitKind(kind)) {
      // What a task waits on: on the lane of the task whose step it began in.
      const lane = this.awaitLane(row);
      if (lane) {
        if (spanCategory(kind)) {
          if (lane.spans.add(s, row)) this.structure++;
        } else if (pointCategory(kind)) lane.points.push(row, ts);
        return;
      }
    }
    const lane = this.lane(thread);
    if (spanCategory(kind)) {
      if (lane.spans.add(s, row)) this.structure++;
    } else if (kind === K.SHARED_READ || kind === K.SHARED_WRITE) {
      lane.shared.push(row, ts);
      lane.spans.kinds.set(kind, (lane.spans.kinds.get(kind) ?? 0) + 1);
      lane.spans.objs.add(s.obj[row]);
    } else if (pointCategory(kind)) {
      lane.points.push(row, ts);
      lane.spans.kinds.set(kind, (lane.spans.kinds.get(kind) ?? 0) + 1);
      lane.spans.objs.add(s.obj[row]);
    }
  }

  private ensureCore(core: number): void {
    while (this.coreSamples.length <= core) {
      this.coreSamples.push(new RowList());
      this.coreSightings.push(new CoreSightings());
      this.structure++;
    }
  }

  /** The task lane an asyncio wait row belongs to: the task of its thread's latest step. */
  private awaitLane(row: number): TaskLane | undefined {
    const thread = this.store.thread[row];
    const task = this.stepTask.get(thread);
    if (task === undefined) return undefined;
    return this.tasks.get(`${this.store.threads[thread]?.pid ?? 0}:${task}`)?.lane;
  }

  /** Time of "now": the live clock when given, else the last moment of the trace. */
  endTime(nowTs?: number): number {
    const last = Number.isFinite(this.tLast) ? this.tLast : 0;
    return nowTs !== undefined && nowTs > last ? nowTs : last;
  }

  /**
   * What "fit" shows: the program's time, less a start-up (imports, interpreter start) that
   * takes more than a fifth of it before anything happens; the rest is a zoom-out away.
   */
  fitRange(end: number): [number, number] | undefined {
    const t0 = this.startTime();
    const a = this.tActivity;
    if (!Number.isFinite(a) || !(end > a) || a - t0 < 0.2 * (end - t0)) return undefined;
    return [Math.max(t0, a - 0.04 * (end - a)), end];
  }

  startTime(): number {
    if (Number.isFinite(this.t0)) return this.t0;
    return Number.isFinite(this.tSamples0) ? this.tSamples0 : 0;
  }
}
