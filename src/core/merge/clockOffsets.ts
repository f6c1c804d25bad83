/**
 * Clock offsets between traces recorded on different clocks, from the
 * messages they exchanged: a message is received after it was sent, on any
 * clock. Every paired message from clock X to clock Y bounds the correction
 * of Y against X from one side (NTP's reasoning, with every message instead
 * of one round trip):
 *
 *     (Y's correction) − (X's correction) ≥ send time − receive time
 *
 * with both times as the merged trace shows them before correction. Messages
 * both ways bound it from both sides; the estimate is the middle of what is
 * left and the error half its width (the true offset lies within ± error if
 * no message took negative time). With messages one way only there is one
 * bound: the clocks are left as the wall clocks put them if that agrees with
 * the bound, else moved just enough to satisfy it.
 *
 * Bounds chain through clocks that talked to both (difference constraints:
 * shortest paths). Clocks are settled one at a time, nearest to the
 * reference first, so every settled offset agrees with all the messages.
 * Bounds that contradict each other (a clock that drifted during the run, a
 * wrongly paired message) are widened by the least amount that makes them
 * agree, and that amount is reported.
 */

/** (correction[to] − correction[from]) ≥ lowerNs, from `messages` messages. */
export interface ClockBound {
  from: number;
  to: number;
  lowerNs: number;
  messages: number;
}

export type OffsetBasis = 'reference' | 'messages' | 'lower-bound' | 'upper-bound' | 'wall-clock';

export interface ClockEstimate {
  /** Added to this clock's times (as the wall clocks placed them) to put them on the reference's. */
  correctionNs: number;
  /** The correction lies in [lowNs, highNs] (±Infinity where unbounded). */
  lowNs: number;
  highNs: number;
  /** Half the width of [lowNs, highNs] when both are finite, else null (unknown). */
  errorNs: number | null;
  basis: OffsetBasis;
  /** Messages with other clocks that bounded this one. */
  messages: number;
}

export interface ClockSolution {
  clocks: ClockEstimate[];
  /** How far bounds had to be widened to agree (0 when they did). */
  slackNs: number;
}

type Matrix = Float64Array[];

function shortestPaths(n: number, edges: { u: number; v: number; w: number }[], slack: number): Matrix {
  const d: Matrix = Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n).fill(Infinity);
    row[i] = 0;
    return row;
  });
  for (const { u, v, w } of edges) d[u][v] = Math.min(d[u][v], w + slack);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const dik = d[i][k];
      if (dik === Infinity) continue;
      for (let j = 0; j < n; j++) {
        const via = dik + d[k][j];
        if (via < d[i][j]) d[i][j] = via;
      }
    }
  }
  return d;
}

const consistent = (d: Matrix): boolean => d.every((row, i) => row[i] >= 0);

/**
 * Corrections for `n` clocks, clock `reference` fixed at 0, from the bounds.
 * Constraint c_to − c_from ≥ L is the edge to → from of weight −L in the
 * graph of "c_v ≤ c_u + w(u, v)".
 */
export function solveClocks(n: number, reference: number, bounds: ClockBound[]): ClockSolution {
  const edges = bounds.filter((b) => b.from !== b.to && Number.isFinite(b.lowerNs)).map((b) => ({ u: b.to, v: b.from, w: -b.lowerNs }));
  const messages = new Array<number>(n).fill(0);
  for (const b of bounds) {
    if (b.from === b.to) continue;
    messages[b.from] += b.messages;
    messages[b.to] += b.messages;
  }
  let slack = 0;
  if (!consistent(shortestPaths(n, edges, 0))) {
    // The least uniform widening that removes every contradiction (bisection on ns).
    let lo = 0;
    let hi = 1;
    while (!consistent(shortestPaths(n, edges, hi))) hi *= 2;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (consistent(shortestPaths(n, edges, mid))) hi = mid;
      else lo = mid;
    }
    slack = hi;
  }
  const clocks: ClockEstimate[] = Array.from({ length: n }, () => ({
    correctionNs: 0, lowNs: -Infinity, highNs: Infinity, errorNs: null, basis: 'wall-clock', messages: 0,
  }));
  clocks[reference] = { correctionNs: 0, lowNs: 0, highNs: 0, errorNs: 0, basis: 'reference', messages: messages[reference] };
  const fixed = [...edges];
  const settled = new Set([reference]);
  for (const c of settleOrder(n, reference, bounds)) {
    if (settled.has(c)) continue;
    const d = shortestPaths(n, fixed, slack);
    const low = -d[c][reference];
    const high = d[reference][c];
    let correction = 0;
    let basis: OffsetBasis = 'wall-clock';
    if (Number.isFinite(low) && Number.isFinite(high)) {
      correction = Math.round((low + high) / 2);
      basis = 'messages';
    } else if (Number.isFinite(low)) {
      correction = Math.max(0, Math.ceil(low));
      basis = 'lower-bound';
    } else if (Number.isFinite(high)) {
      correction = Math.min(0, Math.floor(high));
      basis = 'upper-bound';
    }
    clocks[c] = {
      correctionNs: correction, lowNs: low, highNs: high,
      errorNs: basis === 'messages' ? Math.ceil((high - low) / 2) : null, basis, messages: messages[c],
    };
    // Settled: c − ref = correction, as two edges without slack.
    fixed.push({ u: reference, v: c, w: correction - slack }, { u: c, v: reference, w: -correction - slack });
    settled.add(c);
  }
  return { clocks, slackNs: slack };
}

/** Clocks by distance from the reference over the bounds (breadth first), then the unconnected. */
function settleOrder(n: number, reference: number, bounds: ClockBound[]): number[] {
  const next = new Map<number, Set<number>>();
  const link = (a: number, b: number): void => {
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  };
  for (const b of bounds) {
    link(b.from, b.to);
    link(b.to, b.from);
  }
  const order = [reference];
  const seen = new Set(order);
  for (let i = 0; i < order.length; i++) {
    for (const m of [...(next.get(order[i]) ?? [])].sort((x, y) => x - y)) {
      if (!seen.has(m)) {
        seen.add(m);
        order.push(m);
      }
    }
  }
  for (let c = 0; c < n; c++) if (!seen.has(c)) order.push(c);
  return order;
}

/** Tightest bound per ordered pair of clocks from individual messages (send time on `from`, receive time on `to`). */
export class BoundCollector {
  private readonly tightest = new Map<string, ClockBound>();

  /** A message sent at `sendNs` by clock `from`, received (its receive returned) at `recvNs` on clock `to`. */
  add(from: number, to: number, sendNs: number, recvNs: number): void {
    if (from === to || !Number.isFinite(sendNs) || !Number.isFinite(recvNs)) return;
    const key = `${from}>${to}`;
    const lower = sendNs - recvNs;
    const b = this.tightest.get(key);
    if (!b) this.tightest.set(key, { from, to, lowerNs: lower, messages: 1 });
    else {
      b.lowerNs = Math.max(b.lowerNs, lower);
      b.messages++;
    }
  }

  get size(): number {
    return this.tightest.size;
  }

  bounds(): ClockBound[] {
    return [...this.tightest.values()];
  }

  /** Clocks that have a bound with another clock. */
  clocks(): Set<number> {
    const out = new Set<number>();
    for (const b of this.tightest.values()) {
      out.add(b.from);
      out.add(b.to);
    }
    return out;
  }
}
