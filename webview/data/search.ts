/**
 * The search box: one text matched against processes (name, pid), threads
 * (name, native id), objects (label, type) and event kinds. Lanes that match
 * by name show whole; lanes that only hold matching events show with the
 * other events dimmed.
 */
import type { TraceStore } from '../../src/core/trace/traceStore';
import { allEventKinds, objectLabel } from './spanKinds';
import type { LaneSpans } from './laneIndex';

export interface SearchQuery {
  text: string;
  active: boolean;
  processes: Set<number>;
  threads: Set<number>;
  objects: Set<number>;
  kinds: Set<number>;
}

export const NO_QUERY: SearchQuery = { text: '', active: false, processes: new Set(), threads: new Set(), objects: new Set(), kinds: new Set() };

export function compileQuery(store: TraceStore, text: string): SearchQuery {
  const q = text.trim().toLowerCase();
  if (!q) return NO_QUERY;
  const has = (s: string | number): boolean => String(s).toLowerCase().includes(q);
  const out: SearchQuery = { text: q, active: true, processes: new Set(), threads: new Set(), objects: new Set(), kinds: new Set() };
  for (const p of store.processes) if (has(p.name) || has(p.pid)) out.processes.add(p.index);
  for (const t of store.threads) if (has(t.name) || (t.nativeId > 0 && has(t.nativeId))) out.threads.add(t.index);
  for (const o of store.objects.values()) if (has(objectLabel(store, o.id)) || has(o.type)) out.objects.add(o.id);
  for (const { kind, event } of allEventKinds()) if (has(event)) out.kinds.add(kind);
  return out;
}

/** Whether a lane's events include a match (by object or kind). */
export function laneHasMatch(q: SearchQuery, spans: LaneSpans): boolean {
  for (const k of q.kinds) if (spans.kinds.has(k)) return true;
  if (q.objects.size > 0) for (const o of spans.objs) if (q.objects.has(o)) return true;
  return false;
}

/** An event that the query is about (only meaningful when a lane was kept for its events). */
export function eventMatches(q: SearchQuery, kind: number, obj: number): boolean {
  return q.kinds.has(kind) || q.objects.has(obj);
}
