/** Tooltip text for whatever the pointer is over. */
import { K } from '../../src/core/trace/recordKinds';
import type { TimelineData } from '../data/timelineData';
import type { Layout } from '../data/laneLayout';
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
    if (th) lines.push(['thread', `${data.naming.words.thread(th).label} (pid ${th.pid})`]);
    const o = store.objects.get(store.obj[r]);
    if (o && store.kind[r] !== K.LOCK_HOLD) lines.push(['object', `${data.naming.objects.name(o.id)} (${o.type})`]);
    const site = store.sites[store.site[r]];
    if (site && store.site[r] >= 0) lines.push(['at line', `${site.file.split(/[\\/]/).pop()}:${site.line}`]);
    // An await of another task (ASYNC_WAIT b=3): which one.
    if (store.kind[r] === K.ASYNC_WAIT && store.b[r] === 3 && th) {
      const awaited = data.tasks.get(`${th.pid}:${store.a[r]}`);
      if (awaited) lines.push(['awaits', awaited.name]);
    }
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
    return {
      title: `${th ? data.naming.words.thread(th).label : 'a thread'} last seen on core ${hit.core}`,
      lines: [['at', formatDuration(hit.t - t0)], ['process', th ? `${data.naming.words.process(store.processes[th.process]).label} (pid ${th.pid})` : '?'],
        ['CPU', `${Math.round(hit.cpu)} % of a core over the ${formatDuration(hit.t - hit.from)} before`]],
      body: 'Where /proc saw the thread at this sample (the core it last ran on). In between it may have run on any core.',
    };
  }
  if (hit.type === 'cpu') {
    const lines = hit.values.slice(0, 16).map((v, c) => [`core ${c}`, Number.isNaN(v.util) ? '—'
      : `${Math.round(v.util)} % busy: this program ${Math.round(Math.min(v.mine, v.util))} %, other load ${Math.max(0, Math.round(v.util - v.mine))} %`] as [string, string]);
    return { title: `CPU per core at ${formatDuration(hit.t - t0)}`, lines, body: 'This program\'s share comes from its threads\' samples, counted on the core each was last seen on.' };
  }
  if (hit.type === 'program') {
    return {
      title: `This program at ${formatDuration(hit.t - t0)}`,
      lines: [['cores used', Number.isNaN(hit.cores) ? '—' : hit.cores.toFixed(2)],
        ['threads wanting CPU', `${hit.want}${hit.processes > 1 ? ` in ${hit.processes} processes` : ''}`]],
      body: 'A thread wants CPU when it is not inside a recorded wait (lock, queue, join, sleep, event…). Threads of one process share one GIL: together they get about 1 core.',
    };
  }
  const row = layout.rows[hit.lane];
  if (!row) return undefined;
  if (row.kind === 'process' || row.processRow) {
    const p = store.processes[row.process];
    const w = data.naming.words.process(p);
    return { title: w.label, lines: [...(w.name ? [['name', w.name] as [string, string]] : []), ['pid', String(p.pid)], ['parent', String(p.parentPid)], ['ended', w.ended], ...(w.endedWhy ? [w.endedWhy] : [])] };
  }
  return { title: row.label, lines: [row.detail] };
}
