/** Tooltip text for whatever the pointer is over. */
import { K } from '../../src/core/recordKinds';
import type { TimelineData } from '../data/timelineData';
import { exitText, type Layout } from '../data/laneLayout';
import { eventLabel, eventName, formatDuration, objectLabel } from '../data/spanKinds';
import type { Hit } from '../hitTest';

export interface HoverText {
  title: string;
  lines: (string | [string, string])[];
  body?: string;
}

export function hoverText(data: TimelineData, layout: Layout, hit: Hit, t0: number, openEnd: number): HoverText | undefined {
  const store = data.store;
  if (hit.type === 'event') {
    const r = hit.row;
    const th = store.threads[store.thread[r]];
    const ts = store.ts[r];
    const e = store.end[r];
    const lines: (string | [string, string])[] = [['kind', eventName(store.kind[r])], ['at', formatDuration(ts - t0)]];
    if (e !== ts) lines.push(['duration', Number.isNaN(e) ? `${formatDuration(openEnd - ts)} (open)` : formatDuration(e - ts)]);
    if (th) lines.push(['thread', `${th.name} (pid ${th.pid})`]);
    const o = store.objects.get(store.obj[r]);
    if (o && store.kind[r] !== K.LOCK_HOLD) lines.push(['object', `${objectLabel(store, o.id)} (${o.type})`]);
    const site = store.sites[store.site[r]];
    if (site && store.site[r] >= 0) lines.push(['at line', `${site.file.split(/[\\/]/).pop()}:${site.line}`]);
    return { title: eventLabel(store, r, (x) => data.taskName(x)), lines };
  }
  if (hit.type === 'cluster') {
    const about = hit.sampled ? '≈ ' : '';
    return {
      title: `${hit.count.toLocaleString('en-US')} spans in this pixel`,
      lines: [['from', formatDuration(hit.from - t0)], ['to', formatDuration(hit.to - t0)],
        ...hit.kinds.slice(0, 4).map(([kind, n]) => [eventName(kind), `${about}${n.toLocaleString('en-US')}`] as [string, string]),
        'Click or Ctrl + wheel to zoom in and see each one.'],
    };
  }
  if (hit.type === 'stdout') {
    const r = hit.row;
    const th = store.threads[store.thread[r]];
    const p = th ? store.processes[th.process] : undefined;
    const stream = (store.b[r] & 3) === 2 ? 'stderr' : 'stdout';
    return {
      title: `${stream} of ${p ? `${p.name} (pid ${p.pid})` : 'unknown process'}`,
      lines: [['at', formatDuration(store.ts[r] - t0)], ...(th ? [['thread', th.name] as [string, string]] : [])],
      body: store.strings[store.a[r]] ?? '',
    };
  }
  if (hit.type === 'core') {
    const th = store.threads[hit.thread];
    return { title: `core ${hit.core}`, lines: [['thread', th ? `${th.name} (pid ${th.pid})` : '?'], ['cpu', `${Math.round(hit.cpu)} %`]] };
  }
  if (hit.type === 'cpu') {
    const shown = hit.values.map((v, c) => [`core ${c}`, Number.isNaN(v) ? '—' : `${Math.round(v)} %`] as [string, string]);
    const valid = hit.values.filter((v) => !Number.isNaN(v));
    const mean = valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN;
    return { title: `CPU at ${formatDuration(hit.t - t0)}`, lines: [['mean', Number.isNaN(mean) ? '—' : `${Math.round(mean)} %`], ...shown.slice(0, 16)] };
  }
  const row = layout.rows[hit.lane];
  if (!row) return undefined;
  if (row.kind === 'process') {
    const p = store.processes[row.process];
    return { title: p.name, lines: [['pid', String(p.pid)], ['parent', String(p.parentPid)], ['status', exitText(p)]] };
  }
  return { title: row.label, lines: [row.detail] };
}
