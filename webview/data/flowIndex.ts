/**
 * The flows (arrows) grouped by kind and thread pair, each group in source
 * time order with its longest arrow, so a frame finds the arrows that meet
 * its window by binary search instead of walking every flow of the trace;
 * and, where they are far more than pixels, takes one per group and 4-pixel
 * column (they are drawn as faint lines there, one per column anyway).
 */
import type { Flow, FlowKind } from '../../src/core/analysis/flows';

interface FlowGroup {
  kind: FlowKind;
  fromThread: number;
  toThread: number;
  /** Indices into the flows array, by source time, and those times. */
  idx: Int32Array;
  fromTs: Float64Array;
  /** Longest toTs − fromTs in the group. */
  maxSpan: number;
}

export class FlowIndex {
  readonly groups: FlowGroup[] = [];

  constructor(flows: readonly Flow[]) {
    const byKey = new Map<string, number[]>();
    flows.forEach((fl, i) => {
      const key = `${fl.kind}|${fl.fromThread}|${fl.toThread}`;
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push(i);
    });
    for (const list of byKey.values()) {
      const first = flows[list[0]];
      // Flows come sorted by source time (sortFlows); keep that order, stably.
      list.sort((x, y) => flows[x].fromTs - flows[y].fromTs || x - y);
      let maxSpan = 0;
      for (const i of list) maxSpan = Math.max(maxSpan, flows[i].toTs - flows[i].fromTs);
      this.groups.push({
        kind: first.kind, fromThread: first.fromThread, toThread: first.toThread,
        idx: Int32Array.from(list), fromTs: Float64Array.from(list, (i) => flows[i].fromTs), maxSpan,
      });
    }
  }
}

function lowerBound(a: Float64Array, t: number, from = 0): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with a[i] > t. */
function upperBound(a: Float64Array, t: number, from: number): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const cache = new WeakMap<readonly Flow[], FlowIndex>();

export function flowIndex(flows: readonly Flow[]): FlowIndex {
  let idx = cache.get(flows);
  if (!idx) cache.set(flows, (idx = new FlowIndex(flows)));
  return idx;
}

export interface VisibleFlows {
  /** Flows whose time range meets the window (an upper bound when sampled). */
  count: number;
  /** More than `dense` of them: one per group and sampling column was taken. */
  sampled: boolean;
}

/**
 * Calls `take(i)` for the flows (indices into `flows`) that meet [v0, v1], of the kinds wanted.
 * When more than `dense` could, takes one per group and `columnNs` of source time.
 */
export function visibleFlows(
  flows: readonly Flow[], v0: number, v1: number, kinds: ReadonlySet<FlowKind>, dense: number, columnNs: number, take: (i: number) => void,
): VisibleFlows {
  const groups = flowIndex(flows).groups.filter((g) => kinds.has(g.kind));
  let count = 0;
  const from = groups.map((g) => {
    const i = lowerBound(g.fromTs, v0 - g.maxSpan);
    count += upperBound(g.fromTs, v1, i) - i;
    return i;
  });
  const sampled = count > dense;
  groups.forEach((g, k) => {
    let i = from[k];
    while (i < g.idx.length && g.fromTs[i] <= v1) {
      const fl = flows[g.idx[i]];
      if (fl.toTs < v0) {
        i++;
        continue;
      }
      take(g.idx[i]);
      i = sampled ? Math.max(i + 1, lowerBound(g.fromTs, (Math.floor((g.fromTs[i] - v0) / columnNs) + 1) * columnNs + v0, i + 1)) : i + 1;
    }
  });
  return { count, sampled };
}
