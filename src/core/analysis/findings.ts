/**
 * Findings over a trace: `findings(store)` for a complete trace, and
 * `FindingsEngine` for a growing one (live views): each `update()` reads
 * only the rows added and the spans closed since the last call, moves every
 * analysis forward in time order, and returns all findings so far. The work
 * is linear in events overall.
 *
 * Kinds: deadlock (deadlocks.ts; among asyncio tasks asyncDeadlocks.ts), lock-order-inversion (lockOrder.ts; asyncio.Locks asyncLockOrder.ts),
 * data-race (dataRaces.ts over happensBefore.ts), gil-contention and
 * oversubscription (cpu.ts), lock-contention (lockContention.ts),
 * unjoined (unjoined.ts), uncaught-exception (exceptions.ts), idle-workers
 * (idleWorkers.ts).
 */
import { K as KINDS } from '../trace/recordKinds';
import { AsyncDeadlocks } from './asyncDeadlocks';
import { AsyncLockOrder } from './asyncLockOrder';
import type { TraceStore } from '../trace/traceStore';
import { CpuFindings } from './cpu';
import { DataRaces } from './dataRaces';
import { Deadlocks } from './deadlocks';
import { UncaughtExceptions } from './exceptions';
import { FINDING_KINDS, type Finding } from './finding';
import { HappensBefore } from './happensBefore';
import { IdleWorkers } from './idleWorkers';
import { LockContention } from './lockContention';
import { LockOrder, threadHolds } from './lockOrder';
import { Names } from './names';
import { TASK_WAIT_MEMBER } from './tasks';
import { TimeOrder, BEGIN as BEGIN_ } from './timeOrder';
import { Unjoined } from './unjoined';
import { World } from './world';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

export interface EngineOptions {
  /**
   * Live: how far behind the newest event the analysis stays (ns), so that
   * rows of other processes read a little later still arrive in time order.
   */
  lagNs?: number;
}

export interface UpdateOptions {
  /** The trace is complete: analyse everything and settle what only the end can tell. */
  final?: boolean;
  /** The run clock now (ns), to move on while nothing new arrives (a hang). */
  now?: number;
}

const DEFAULT_LAG_NS = 250e6;

/** Rows the asyncio analyses read (tested inline: most traces have none). */
const IS_ASYNC = new Uint8Array(256);
for (const k of [K.ASYNC_CREATE, K.ASYNC_END, K.ASYNC_WAIT, K.ASYNC_HOLD, TASK_WAIT_MEMBER]) IS_ASYNC[k] = 1;

export class FindingsEngine {
  private readonly order: TimeOrder;
  private readonly world: World;
  private readonly names: Names;
  private readonly deadlocks: Deadlocks;
  private readonly asyncDeadlocks: AsyncDeadlocks;
  private readonly asyncLockOrder: AsyncLockOrder;
  private readonly lockOrder: LockOrder;
  private readonly exceptions: UncaughtExceptions;
  private readonly unjoined: Unjoined;
  private readonly cpu: CpuFindings;
  private readonly contention: LockContention;
  private readonly idle: IdleWorkers;
  /**
   * Happens-before and races run on a stream of their own, started when the
   * first shared access appears (from the trace's beginning): traces without
   * shared accesses never pay for vector clocks.
   */
  private raceOrder: TimeOrder | undefined;
  private hb: HappensBefore | undefined;
  private races: DataRaces | undefined;
  private sawShared = false;
  private finished = false;
  private result: Finding[] = [];
  private replacement: FindingsEngine | undefined;
  private readonly lagNs: number;

  constructor(private readonly store: TraceStore, options: EngineOptions = {}) {
    this.lagNs = options.lagNs ?? DEFAULT_LAG_NS;
    this.order = new TimeOrder(store);
    this.world = new World(store);
    this.names = new Names(store);
    this.deadlocks = new Deadlocks(store, this.world, this.names);
    this.asyncDeadlocks = new AsyncDeadlocks(store, this.names);
    this.asyncLockOrder = new AsyncLockOrder(store, this.names);
    this.lockOrder = new LockOrder(store, this.names, threadHolds(store, this.world, this.names));
    this.exceptions = new UncaughtExceptions(store, this.names);
    this.unjoined = new Unjoined(store, this.names);
    this.cpu = new CpuFindings(store, this.world, this.names);
    this.contention = new LockContention(store, this.names);
    this.idle = new IdleWorkers(store, this.names);
  }

  /** Points delivered out of time order so far (rows that arrived late). */
  get lateEvents(): number {
    return this.order.late;
  }

  update(options: UpdateOptions = {}): Finding[] {
    if (this.replacement) return this.replacement.update(options);
    if (this.finished) return this.result;
    const final = options.final ?? false;
    const upTo = final ? Infinity : Math.max(this.order.newest, options.now ?? -Infinity) - this.lagNs;
    const { world, deadlocks, asyncDeadlocks, asyncLockOrder, lockOrder, exceptions, unjoined, cpu, contention, idle, store, names } = this;
    const kind = store.kind;
    if (!this.hb && this.order.position === -Infinity && this.order.rowsSeen === 0) {
      // Nothing analysed yet (a whole trace, or the first update): if shared accesses are there,
      // happens-before rides on the main stream instead of sorting a stream of its own.
      for (let i = 0; i < store.length; i++) {
        if (kind[i] === K.SHARED_READ || kind[i] === K.SHARED_WRITE) {
          const hb = (this.hb = new HappensBefore(store));
          this.races = new DataRaces(store, hb, this.names);
          this.order.onRow = (row) => hb.note(row);
          break;
        }
      }
    }
    const hb = this.raceOrder ? undefined : this.hb;
    const races = this.races;
    this.order.drain(upTo, (row, phase, time) => {
      world.apply(row, phase, time);
      deadlocks.point(row, phase, time);
      if (IS_ASYNC[kind[row]] === 1) {
        asyncDeadlocks.point(row, phase, time);
        asyncLockOrder.point(row, phase);
      }
      lockOrder.point(row, phase);
      unjoined.point(row, phase, time);
      cpu.point(row, phase, time);
      contention.point(row, phase, time);
      idle.point(row, phase, time);
      if (hb) {
        hb.point(row, phase);
        if (phase === BEGIN) races!.access(row);
      }
      if (phase === BEGIN) {
        exceptions.point(row);
        const k = kind[row];
        if (k === K.TASK_SUBMIT) names.noteTask(store.obj[row], store.strings[store.b[row]] ?? '');
        if (k === K.SHARED_READ || k === K.SHARED_WRITE) this.sawShared = true;
      }
    });
    if (this.sawShared && !this.hb) {
      this.raceOrder = new TimeOrder(store);
      const hb = (this.hb = new HappensBefore(store));
      this.raceOrder.onRow = (row) => hb.note(row);
      this.races = new DataRaces(store, this.hb, this.names);
    }
    if (this.raceOrder && this.hb && this.races) {
      const { hb, races } = this;
      this.raceOrder.drain(upTo, (row, phase) => {
        hb.point(row, phase);
        if (phase === BEGIN) races.access(row);
      });
    }
    if (final) {
      if (this.order.late > 0 || (this.raceOrder?.late ?? 0) > 0) {
        // Some rows came after the analysis had passed their time: do the complete trace again in order.
        this.replacement = new FindingsEngine(this.store, { lagNs: this.lagNs });
        return this.replacement.update(options);
      }
      this.deadlocks.finish();
      this.asyncDeadlocks.finish();
      this.unjoined.finish();
      this.cpu.finish();
      this.finished = true;
    }
    const now = final ? this.store.lastTs() : Math.max(world.now, upTo);
    this.result = sortFindings([
      ...this.deadlocks.findings(now),
      ...this.asyncDeadlocks.findings(now),
      ...this.lockOrder.findings(),
      ...this.asyncLockOrder.findings(),
      ...(this.races?.findings() ?? []),
      ...this.cpu.findings(),
      ...this.contention.findings(now),
      ...this.unjoined.findings(),
      ...this.idle.findings(),
      ...this.exceptions.findings(),
    ]);
    return this.result;
  }
}

export function findings(store: TraceStore): Finding[] {
  return new FindingsEngine(store).update({ final: true });
}

/** By kind (the contract's order), then by time. */
function sortFindings(list: Finding[]): Finding[] {
  const rank = new Map(FINDING_KINDS.map((k, i) => [k, i]));
  return list.sort((a, b) => (rank.get(a.kind)! - rank.get(b.kind)!) || a.window.startTs - b.window.startTs || (a.id < b.id ? -1 : 1));
}
