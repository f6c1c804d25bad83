/**
 * Where one event (store row) is drawn: its lane, its depth level there, and
 * its box in lane coordinates (y from the top of all lanes, x in plot pixels).
 * Used to outline the selection and a finding's events and to attach a
 * finding's arrows.
 */
import { K } from '../../src/core/trace/recordKinds';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { RowList } from './laneIndex';
import { LANE_PAD, ROW_H, type LaneRow, type Layout } from './laneLayout';
import { spanCategory } from './spanKinds';
import type { TimelineData } from './timelineData';

export interface RowPlace {
  /** Index into layout.rows. */
  lane: number;
  /** Top and height of the event's box (a point: the marker strip at the top of its lane). */
  y: number;
  h: number;
  /** Start and end time (an open span ends at `openEnd`). */
  t0: number;
  t1: number;
  span: boolean;
  /** Drawn on a process header because its thread's lane is not shown. */
  onHeader: boolean;
}

function hasRow(list: RowList, r: number, t: number): boolean {
  for (let i = list.lowerBound(t); i < list.n && list.ts[i] === t; i++) if (list.rows[i] === r) return true;
  return false;
}

const isTaskKind = (kind: number): boolean => kind === K.ASYNC_RUN || kind === K.ASYNC_CREATE || kind === K.ASYNC_END;

/** The lane a row is drawn on, or undefined when it is drawn nowhere (e.g. a sample). */
export function laneOfRow(store: TraceStore, data: TimelineData, layout: Layout, r: number): number {
  const thread = store.thread[r];
  if (isTaskKind(store.kind[r])) {
    const lane = data.tasks.get(`${store.threads[thread]?.pid}:${store.obj[r]}`)?.lane;
    const i = layout.rows.findIndex((l) => l.kind === 'task' && l.task === lane);
    if (i >= 0) return i;
    // A library's task lane folded away: its events attach to the library group.
    const group = lane ? layout.taskAnchor?.get(lane) : undefined;
    if (group !== undefined) return group;
  } else {
    const i = layout.rows.findIndex((l) => l.kind === 'thread' && l.thread === thread);
    if (i >= 0) return i;
  }
  return thread >= 0 && thread < layout.anchor.length ? layout.anchor[thread] : -1;
}

export function placeRow(store: TraceStore, data: TimelineData, layout: Layout, r: number, openEnd: number): RowPlace | undefined {
  if (r < 0 || r >= store.length) return undefined;
  const lane = laneOfRow(store, data, layout, r);
  if (lane < 0) return undefined;
  const row: LaneRow = layout.rows[lane];
  const ts = store.ts[r];
  const e = store.end[r];
  const t1 = Number.isNaN(e) ? openEnd : Math.max(e, ts);
  const span = !!spanCategory(store.kind[r]);
  if (row.kind === 'process') return { lane, y: row.y + 2, h: row.height - 4, t0: ts, t1, span, onHeader: true };
  if (row.kind === 'helpers' || row.kind === 'program') return { lane, y: row.y + 2, h: row.height - 4, t0: ts, t1, span, onHeader: true };
  const top = row.y + LANE_PAD;
  if (span && row.spans) {
    const d = row.spans.levels.findIndex((lv) => hasRow(lv, r, ts));
    if (d >= 0) return { lane, y: top + d * ROW_H, h: ROW_H, t0: ts, t1, span, onHeader: false };
  }
  return { lane, y: top - 1, h: 8, t0: ts, t1: span ? t1 : ts, span, onHeader: false };
}
