/**
 * What a click on a lane's label shows in the details pane: for a process
 * what it runs, how it ended and why, its CPU; for a thread its role, CPU
 * time and share of its life and of the visible window; for a helper group
 * its members; for an untraced program its command line.
 */
import { FIRST_SAMPLE_NS } from '../../src/core/export/cpuUse';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { RowList } from '../data/laneIndex';
import type { LaneRow } from '../data/laneLayout';
import { formatDuration } from '../data/spanKinds';
import type { TimelineData } from '../data/timelineData';

export interface CpuWithin {
  /** CPU time (ns) of the samples' stretches inside [from, to]. */
  cpuNs: number;
  /** How much of [from, to] the samples cover (ns). */
  coveredNs: number;
}

/**
 * CPU time from a lane's samples inside a time window: each sample's CPU % applies to the
 * stretch since the previous sample (a first one to the sampler's interval), cut to the window.
 */
export function cpuWithin(store: TraceStore, list: RowList, from: number, to: number, lifeStart = -Infinity): CpuWithin {
  let cpuNs = 0;
  let coveredNs = 0;
  for (let i = 0; i < list.n; i++) {
    const ts = list.ts[i];
    const start = i > 0 ? list.ts[i - 1] : Math.max(lifeStart, ts - FIRST_SAMPLE_NS);
    if (ts <= from) continue;
    if (start >= to) break;
    const a = Math.max(start, from);
    const b = Math.min(ts, to);
    if (b <= a) continue;
    coveredNs += b - a;
    cpuNs += (store.a[list.rows[i]] / 100) * (b - a);
  }
  return { cpuNs, coveredNs };
}

function share(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)} %` : '—';
}

/** Rows for the details pane of a lane label. */
export function laneDetails(data: TimelineData, row: LaneRow, window: { v0: number; v1: number; openEnd: number }): { title: string; rows: [string, string][] } {
  const s = data.store;
  const words = data.naming.words;
  const out: [string, string][] = [];
  if (row.kind === 'helpers' && row.members) {
    for (const t of row.members.threads) {
      const th = s.threads[t];
      const w = words.thread(th);
      out.push([w.label, `${w.helperOf}${th.name !== w.label ? ` · ${th.name}` : ''}`]);
    }
    for (const p of row.members.processes) {
      const w = words.process(s.processes[p]);
      out.push([w.label, `pid ${s.processes[p].pid} · ${w.ended}`]);
    }
    // A library group's asyncio tasks: how many per coroutine, the most frequent first.
    const byCoroutine = new Map<string, number>();
    for (const lane of row.members.tasks ?? []) {
      for (const t of lane.tasks) {
        const what = `${t.coroutine || t.name} · ${t.library}`;
        byCoroutine.set(what, (byCoroutine.get(what) ?? 0) + 1);
      }
    }
    const coroutines = [...byCoroutine.entries()].sort((a, b) => b[1] - a[1]);
    for (const [what, n] of coroutines.slice(0, 30)) out.push([`asyncio task${n === 1 ? '' : `s ×${n}`}`, what]);
    if (coroutines.length > 30) out.push(['…', `${coroutines.length - 30} more coroutines`]);
    if (row.library) out.push(['why folded', `${row.library}'s own machinery: threads running its functions and tasks running its coroutines (their locks, queues and arrows among themselves); the program's waits in its locks stay on the program's lanes`]);
    return { title: row.label, rows: out };
  }
  if (row.kind === 'program' && row.program) {
    const w = data.naming.program(row.program);
    return { title: w.label, rows: [['pid', String(row.program.pid)], ['command', w.command || '(os.fork)'], ['ended', w.ended], ['traced', 'no: not Python, or a Python the tracer did not reach']] };
  }
  const p = s.processes[row.process];
  if (row.kind === 'process' || row.processRow) {
    const w = words.process(p);
    out.push(['pid', String(p.pid)], ['parent pid', String(p.parentPid)]);
    if (w.name) out.push(['name', w.name]);
    out.push(['ended', w.ended]);
    if (w.endedWhy) out.push(['why', w.endedWhy]);
    out.push(['command', p.argv.join(' ')]);
    const cpu = data.processCpu.get(p.pid);
    if (cpu) {
      const life = cpuWithin(s, cpu, p.startTs, Number.isNaN(data.naming.lifeEnd(p)) ? window.openEnd : data.naming.lifeEnd(p), p.startTs);
      out.push(['CPU (whole process)', `${formatDuration(life.cpuNs)} · ${(life.cpuNs / Math.max(1, life.coveredNs)).toFixed(2)} cores on average`]);
    }
    if (w.role === 'helper') out.push(['helper', 'yes (standard library)']);
  }
  if (row.thread >= 0 && row.kind !== 'process') {
    const t = s.threads[row.thread];
    const tw = words.thread(t);
    if (!row.processRow) out.push(['thread', `${t.name} · tid ${t.nativeId || t.ident}`], ['process', `${words.process(p).label} (pid ${t.pid})`]);
    else out.push(['thread', `${t.name} · tid ${t.nativeId || t.ident}`]);
    if (tw.helper) out.push(['helper', tw.library ? `${tw.library} (a library's thread: it runs ${t.library ?? tw.library}'s code)` : tw.helperOf]);
    out.push(['daemon', t.daemon ? 'yes' : 'no']);
    if (t.exception) out.push(['exception', t.exception]);
    const lane = data.threadLanes[t.index];
    if (lane && lane.cpu.n > 0) {
      const end = Number.isNaN(t.endTs) ? window.openEnd : t.endTs;
      const life = cpuWithin(s, lane.cpu, t.startTs, end, t.startTs);
      const seen = cpuWithin(s, lane.cpu, window.v0, window.v1, t.startTs);
      out.push(['CPU', `${formatDuration(life.cpuNs)} · ${share(life.cpuNs, end - t.startTs)} of its life`]);
      out.push(['CPU in view', `${formatDuration(seen.cpuNs)} · ${share(seen.cpuNs, window.v1 - window.v0)} of the window`]);
    } else out.push(['CPU', 'no sample (it ran less than a sampling interval, or not on Linux)']);
  }
  if (row.task) {
    const tasks = row.task.tasks;
    const shown = tasks.slice(0, 40).map((x) => `${x.name} (${x.coroutine})`).join(', ');
    out.push(['asyncio tasks', tasks.length > 40 ? `${shown} … and ${tasks.length - 40} more` : shown]);
  }
  return { title: row.label, rows: out };
}
