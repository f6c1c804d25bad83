/**
 * lock-order-inversion: cycles of any length in the "acquired while
 * holding" graph (lockdep / Helgrind style), across threads and processes
 * (multiprocessing and Manager locks have one id in every process), even if
 * the run never hung. An edge A→B means some thread took B while it held A;
 * each edge keeps its first acquisition path per thread (up to four threads)
 * and the gate locks: locks held around every one of its acquisitions.
 *
 * Silent when: one thread alone takes the locks in both orders (it cannot
 * deadlock with itself), the threads that do never lived at the same time,
 * or a common gate lock is held around every edge of the cycle (the gate
 * already orders them).
 *
 * The parties are threads (LOCK_HOLD / LOCK_WAIT, the world's holds), or,
 * with another HoldSource, asyncio tasks and their asyncio.Locks
 * (asyncLockOrder.ts): the graph and its cycles are the same.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingEdge, FindingParty, FindingSite } from './finding';
import type { Names } from './names';
import { BEGIN as BEGIN_ } from './timeOrder';
import type { World } from './world';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

/** Where holds come from: who takes which lock, what it holds meanwhile, and how parties are named. */
export interface HoldSource {
  /** 1 for the record kinds that can take a lock (a cheap test before partyOf, on every row). */
  kinds: Uint8Array;
  /** For a row that takes a lock (its hold begins, or a wait for it begins): the party, else -1. */
  partyOf(row: number, phase: number): number;
  /** The lock a taking row is about. */
  lockOf(row: number): number;
  /** Whether the row is a wait for the lock (an attempt) rather than a hold. */
  isWait(row: number): boolean;
  /** The party's open hold rows, innermost last (including `row` when it is a hold). */
  held(party: number): number[] | undefined;
  /** Both parties lived at the same time. */
  overlap(a: number, b: number): boolean;
  name(party: number): string;
  party(party: number): FindingParty;
  /** "thread" / "task", in the explanation. */
  noun: string;
  /** Prefix of the findings' ids (so that cycles of both sources never share one). */
  idPrefix: string;
}

/** Threads and their LOCK_HOLD / LOCK_WAIT rows. */
export function threadHolds(store: TraceStore, world: World, names: Names): HoldSource {
  const kinds = new Uint8Array(256);
  kinds[K.LOCK_HOLD] = 1;
  kinds[K.LOCK_WAIT] = 1;
  return {
    kinds,
    partyOf: (row, phase) => (phase === BEGIN ? store.thread[row] : -1),
    lockOf: (row) => store.obj[row],
    isWait: (row) => store.kind[row] === K.LOCK_WAIT,
    held: (t) => world.heldBy[t],
    overlap: (a, b) => {
      const ta = store.threads[a];
      const tb = store.threads[b];
      if (!ta || !tb) return false;
      const endA = Number.isNaN(ta.endTs) ? Infinity : ta.endTs;
      const endB = Number.isNaN(tb.endTs) ? Infinity : tb.endTs;
      return ta.startTs < endB && tb.startTs < endA;
    },
    name: (t) => names.threadName(t),
    party: (t) => names.party(t),
    noun: 'thread',
    idPrefix: '',
  };
}

interface Witness {
  thread: number;
  /** Row of the hold of the outer lock, and of the inner one (its hold, or its wait when it never got it). */
  outer: number;
  inner: number;
}

interface Edge {
  from: number;
  to: number;
  witnesses: Witness[];
  /** Locks held around every acquisition along this edge (besides `from`); null before the first. */
  gates: Set<number> | null;
}

const MAX_WITNESSES = 4;
/** Holds of one thread considered for new edges (the innermost ones). */
const MAX_HELD = 32;
/** Nodes a cycle search may visit: keeps a huge lock graph from costing more than a bounded step. */
const SEARCH_BUDGET = 2000;

export class LockOrder {
  private readonly edges = new Map<number, Map<number, Edge>>();
  /** Canonical key → the cycle found (edges in order). */
  private readonly cycles = new Map<string, Edge[]>();

  constructor(private readonly store: TraceStore, private readonly names: Names, private readonly source: HoldSource) {}

  /**
   * A hold begins, or a wait for a lock begins (lockdep counts the attempt:
   * an acquire that times out in a cycle never holds its second lock).
   */
  point(row: number, phase: number): void {
    if (phase !== BEGIN) return;
    const src = this.source;
    if (src.kinds[this.store.kind[row]] !== 1) return;
    const t = src.partyOf(row, phase);
    if (t < 0) return;
    const s = this.store;
    const wait = src.isWait(row);
    const inner = src.lockOf(row);
    const held = src.held(t);
    if (!held || held.length < (wait ? 1 : 2)) return; // nothing held besides this
    // The innermost holds only (lockdep keeps 48): a thread holding hundreds of locks at once is
    // rare, and an unbounded list would make each acquisition cost as much as all of them.
    const recent = held.length > MAX_HELD ? held.slice(held.length - MAX_HELD) : held;
    const heldLocks: number[] = [];
    for (const h of recent) if (h !== row) heldLocks.push(s.obj[h]);
    for (const h of recent) {
      if (h === row) continue;
      const outer = s.obj[h];
      if (outer === inner) continue;
      let out = this.edges.get(outer);
      if (!out) this.edges.set(outer, (out = new Map()));
      let e = out.get(inner);
      const isNew = !e;
      if (!e) out.set(inner, (e = { from: outer, to: inner, witnesses: [], gates: null }));
      let changed = isNew;
      if (wait && e.witnesses.some((w) => w.thread === t)) continue; // its hold will follow: same path
      if (!e.witnesses.some((w) => w.thread === t) && e.witnesses.length < MAX_WITNESSES) {
        e.witnesses.push({ thread: t, outer: h, inner: row });
        changed = true;
      }
      const gatesHere = heldLocks.filter((l) => l !== outer && l !== inner);
      if (e.gates === null) e.gates = new Set(gatesHere);
      else if (e.gates.size > 0) {
        const before = e.gates.size;
        for (const g of [...e.gates]) if (!gatesHere.includes(g)) e.gates.delete(g);
        if (e.gates.size !== before) changed = true;
      }
      if (changed) this.search(e);
    }
  }

  /** Looks for a valid cycle through edge e (paths from e.to back to e.from). */
  private search(e: Edge): void {
    let budget = SEARCH_BUDGET;
    const path: Edge[] = [e];
    const onPath = new Set<number>([e.from, e.to]);
    const dfs = (node: number): boolean => {
      if (--budget < 0) return false;
      const out = this.edges.get(node);
      if (!out) return false;
      for (const next of out.values()) {
        if (next.to === e.from) {
          path.push(next);
          if (this.valid(path)) {
            this.record(path.slice());
            path.pop();
            return true;
          }
          path.pop();
          continue;
        }
        if (onPath.has(next.to)) continue;
        onPath.add(next.to);
        path.push(next);
        const found = dfs(next.to);
        path.pop();
        onPath.delete(next.to);
        if (found) return true;
      }
      return false;
    };
    dfs(e.to);
  }

  private valid(cycle: Edge[]): boolean {
    // A gate lock held around every acquisition of every edge orders them.
    let common = new Set<number>(cycle[0].gates ?? []);
    for (const e of cycle) {
      const g = e.gates ?? new Set<number>();
      common = new Set([...common].filter((x) => g.has(x)));
      if (common.size === 0) break;
    }
    if (common.size > 0) return false;
    // Two edges taken by two different threads that lived at the same time.
    for (let i = 0; i < cycle.length; i++) {
      for (let j = i + 1; j < cycle.length; j++) {
        for (const a of cycle[i].witnesses) {
          for (const b of cycle[j].witnesses) if (a.thread !== b.thread && this.source.overlap(a.thread, b.thread)) return true;
        }
      }
    }
    return false;
  }

  private record(cycle: Edge[]): void {
    const key = cycle.map((e) => e.from).sort((x, y) => x - y).join(',');
    if (this.cycles.has(key)) return;
    // Start the cycle at its smallest lock so the same cycle reads the same way.
    const first = cycle.indexOf(cycle.reduce((m, e) => (e.from < m.from ? e : m)));
    this.cycles.set(key, [...cycle.slice(first), ...cycle.slice(0, first)]);
  }

  findings(): Finding[] {
    return [...this.cycles.entries()].map(([key, cycle]) => this.describe(key, cycle));
  }

  /** Picks, per edge, a witness so that two different threads appear when possible. */
  private witnesses(cycle: Edge[]): Witness[] {
    const chosen = cycle.map((e) => e.witnesses[0]);
    const threads = new Set(chosen.map((w) => w.thread));
    if (threads.size === 1) {
      for (let i = 0; i < cycle.length && threads.size === 1; i++) {
        const other = cycle[i].witnesses.find((w) => w.thread !== chosen[0].thread);
        if (other) {
          chosen[i] = other;
          threads.add(other.thread);
        }
      }
    }
    return chosen;
  }

  private describe(key: string, cycle: Edge[]): Finding {
    const s = this.store;
    const n = this.names;
    const chosen = this.witnesses(cycle);
    const lock = (id: number): string => n.objectName(id);
    const parts = chosen.map((w, i) => {
      const e = cycle[i];
      return `${this.source.name(w.thread)} takes ${lock(e.from)}${n.at(w.outer)} then ${lock(e.to)}${n.at(w.inner)}`;
    });
    const sites: FindingSite[] = [];
    const edges: FindingEdge[] = [];
    const steps: { ts: number; text: string }[] = [];
    const events: number[] = [];
    chosen.forEach((w, i) => {
      const e = cycle[i];
      const who = this.source.name(w.thread);
      const func = (row: number): string => {
        const f = s.sites[s.site[row]]?.func;
        return f && f !== '<module>' ? ` in ${f}()` : '';
      };
      const outerSite = n.site(w.outer, `${who} takes ${lock(e.from)}${func(w.outer)}`);
      const innerSite = n.site(w.inner, `${who} takes ${lock(e.to)}${func(w.inner)} while holding ${lock(e.from)}`);
      if (outerSite) sites.push(outerSite);
      if (innerSite) sites.push(innerSite);
      events.push(w.outer, w.inner);
      edges.push({ fromRow: w.outer, toRow: w.inner, label: `${lock(e.from)} → ${lock(e.to)}` });
      steps.push({ ts: s.ts[w.outer], text: `${who} took ${lock(e.from)}${n.at(w.outer)}` });
      const took = this.source.isWait(w.inner) ? 'reached for' : 'took';
      steps.push({ ts: s.ts[w.inner], text: `${who} ${took} ${lock(e.to)}${n.at(w.inner)} while holding ${lock(e.from)}` });
    });
    steps.sort((x, y) => x.ts - y.ts);
    const times = events.map((r) => s.ts[r]);
    const ends = events.map((r) => (Number.isNaN(s.end[r]) ? s.ts[r] : s.end[r]));
    const threads = [...new Set(chosen.map((w) => w.thread))];
    const order = cycle.map((e) => lock(e.from)).join(' → ');
    return {
      id: `lock-order-inversion:${this.source.idPrefix}${key}`,
      kind: 'lock-order-inversion',
      severity: 'warning',
      message: `Lock-order inversion: ${parts.join('; ')}. If these run at the same time, each can hold one lock and wait for the next: a deadlock.`,
      explanation: `The locks ${order} → ${lock(cycle[0].from)} are taken in a cycle of orders by different ${this.source.noun}s. This run did not necessarily hang, but with another timing each ${this.source.noun} can end up holding one lock while waiting for the next one forever. Take the locks in one global order everywhere (for example always ${lock(cycle[0].from)} first), or protect the data with a single lock.`,
      parties: threads.map((t) => this.source.party(t)),
      objects: cycle.map((e) => n.object(e.from)),
      sites,
      window: { startTs: Math.min(...times), endTs: Math.max(...ends) },
      events,
      edges,
      steps: steps.map((x) => x.text),
      details: { locks: cycle.length },
    };
  }
}
