/**
 * What one pixel column of a lane level holds when its spans are narrower
 * than pixels (drawn as one column, see render/lodSpans.ts): how many, from
 * when to when, and of which kinds — for the hover, which names the count
 * instead of one arbitrary span. Binary searches, then at most a few
 * thousand spans looked at (kinds sampled beyond that).
 */
import type { TraceStore } from '../../src/core/trace/traceStore';
import { firstSpanEndingAfter, type RowList } from './laneIndex';

export interface SpanCluster {
  count: number;
  /** Start of the first span and end of the last. */
  from: number;
  to: number;
  /** [record kind, spans] by count, most first; estimated when `sampled`. */
  kinds: [number, number][];
  sampled: boolean;
}

/** Spans narrower than this many pixels merge with their neighbours when drawn. */
const NARROW_PX = 2;
const MAX_LOOKED_AT = 4000;

/** The spans of `list` in [t0, t1] (one pixel column) if there are several and they are narrow. */
export function clusterAt(store: TraceStore, list: RowList, t0: number, t1: number, openEnd: number): SpanCluster | undefined {
  const i0 = firstSpanEndingAfter(store, list, t0, openEnd);
  const i1 = list.upperBound(t1);
  const count = i1 - i0;
  if (count < 2) return undefined;
  const nsPerPx = t1 - t0;
  const endOf = (i: number): number => {
    const e = store.end[list.rows[i]];
    return e === e ? e : openEnd;
  };
  let narrow = false;
  for (let i = i0; i < Math.min(i1, i0 + 8) && !narrow; i++) narrow = endOf(i) - list.ts[i] < NARROW_PX * nsPerPx;
  if (!narrow) return undefined;
  const stride = Math.max(1, Math.ceil(count / MAX_LOOKED_AT));
  const byKind = new Map<number, number>();
  for (let i = i0; i < i1; i += stride) {
    const k = store.kind[list.rows[i]];
    byKind.set(k, (byKind.get(k) ?? 0) + stride);
  }
  const kinds = [...byKind].sort((a, b) => b[1] - a[1]);
  return { count, from: list.ts[i0], to: endOf(i1 - 1), kinds, sampled: stride > 1 };
}
