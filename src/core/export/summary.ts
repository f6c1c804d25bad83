/**
 * `concurrency-trace summary`: the run in figures — processes and threads,
 * event counts, lock contention, queue traffic, tasks per worker — as JSON
 * (the contract in DESIGN.md) or as a readable table.
 */
import { cpuTotals } from './cpuUse';
import { foldNames, Naming, plural, programWords, type ProcessRole } from '../naming/index';
import { K, kindInfo } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';

import type { Finding } from '../analysis/finding';
import { mergeInfoOf, type MergeInfo } from '../merge/mergeInfo';
import { describeMerge } from '../merge/mergeReport';

export type { Finding } from '../analysis/finding';

export interface Summary {
  schemaVersion: 1;
  exitCode: number | null;
  durationMs: number;
  /**
   * `label` says what it runs ("deposit()", "Pool(4) worker 1"), `ended` how it ended in words,
   * `cpuMs` its CPU time from the sampler (0 when it ended before a sample).
   */
  processes: { pid: number; ppid: number; name: string; exitCode: number | null; internal: boolean; label: string; role: ProcessRole; ended: string; cpuMs: number }[];
  /** `helper`: the standard library's or a library's thread (queue feeders, pool handlers, Manager server threads). */
  threads: {
    pid: number; tid: number; name: string; daemon: boolean; internal: boolean;
    /** The installed package whose code a library's thread runs ("distributed", "loky"); null for others. */
    library: string | null;
    label: string; helper: boolean; cpuMs: number;
  }[];
  /** Programs started with subprocess / os.fork that wrote no trace (not Python, or not traced). */
  programs: { pid: number; ppid: number; command: string; ended: string }[];
  counts: Record<string, number>;
  locks: { id: number; name: string; type: string; acquisitions: number; waits: number; timeouts: number; waitMs: number; holdMs: number }[];
  /** `puts` / `gets` that succeeded; failed ones (Full, Empty, timeouts, closed) counted apart. */
  queues: { id: number; name: string; type: string; puts: number; gets: number; failedPuts: number; failedGets: number }[];
  tasks: { pid: number; thread: string; tasks: number; busyMs: number }[];
  findings: Finding[];
  /** A combined trace (merge): its hosts, parts and clock offsets with their errors. */
  merge?: MergeInfo;
}

/** Vocabulary counts: a span record stands for two events (acquire+release, start+end…). */
export function countEvents(store: TraceStore): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (name: string): void => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const info = kindInfo(kind);
    if (!info) continue;
    add(info.event);
    const closed = !Number.isNaN(store.end[i]);
    if (kind === K.LOCK_HOLD && closed) add('lock.release');
    else if (kind === K.TASK_RUN && closed) add('task.end');
    else if (kind === K.THREAD_START && closed) add('thread.exit');
    else if (kind === K.LOCK_WAIT && closed && store.a[i] === 0) add('lock.timeout');
  }
  return counts;
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

export function buildSummary(store: TraceStore, findings: Finding[] = []): Summary {
  const locks = new Map<number, Summary['locks'][number]>();
  const queues = new Map<number, Summary['queues'][number]>();
  const tasks = new Map<number, Summary['tasks'][number]>();
  const naming = new Naming(store).update();
  const objectName = (id: number): { name: string; type: string } => ({ name: naming.objects.name(id), type: store.objects.get(id)?.type ?? '' });
  const lock = (id: number): Summary['locks'][number] => {
    let l = locks.get(id);
    if (!l) locks.set(id, (l = { id, ...objectName(id), acquisitions: 0, waits: 0, timeouts: 0, waitMs: 0, holdMs: 0 }));
    return l;
  };
  const queue = (id: number): Summary['queues'][number] => {
    let q = queues.get(id);
    if (!q) queues.set(id, (q = { id, ...objectName(id), puts: 0, gets: 0, failedPuts: 0, failedGets: 0 }));
    return q;
  };
  const end = store.lastTs();
  const spanNs = (i: number): number => (Number.isNaN(store.end[i]) ? end : store.end[i]) - store.ts[i];
  for (let i = 0; i < store.length; i++) {
    switch (store.kind[i]) {
      case K.LOCK_HOLD: {
        const l = lock(store.obj[i]);
        l.acquisitions++;
        l.holdMs += spanNs(i) / 1e6;
        break;
      }
      case K.LOCK_WAIT: {
        const l = lock(store.obj[i]);
        l.waits++;
        l.waitMs += spanNs(i) / 1e6;
        if (!Number.isNaN(store.end[i]) && store.a[i] === 0) l.timeouts++;
        break;
      }
      case K.LOCK_TRY_FAIL:
        lock(store.obj[i]).timeouts++;
        break;
      // b & 1: the call failed (Full / Empty / a timeout / closed): nothing was handed over.
      case K.QUEUE_PUT:
        if (store.b[i] & 1) queue(store.obj[i]).failedPuts++;
        else queue(store.obj[i]).puts++;
        break;
      case K.QUEUE_GET:
        if (store.b[i] & 1) queue(store.obj[i]).failedGets++;
        else queue(store.obj[i]).gets++;
        break;
      case K.TASK_RUN: {
        const t = store.threads[store.thread[i]];
        let row = tasks.get(store.thread[i]);
        const proc = t ? store.processes[t.process] : undefined;
        // A pool worker is known by its process (Pool(4) worker 1) or its thread (ThreadPoolExecutor-0 worker 1).
        const worker = t && proc && t.main ? naming.words.process(proc).label : t ? naming.words.thread(t).label : '';
        if (!row) tasks.set(store.thread[i], (row = { pid: t?.pid ?? 0, thread: worker, tasks: 0, busyMs: 0 }));
        row.tasks++;
        row.busyMs += spanNs(i) / 1e6;
        break;
      }
      default:
        break;
    }
  }
  const round = <T extends { waitMs?: number; holdMs?: number; busyMs?: number }>(x: T): T => {
    if (x.waitMs !== undefined) x.waitMs = Math.round(x.waitMs * 100) / 100;
    if (x.holdMs !== undefined) x.holdMs = Math.round(x.holdMs * 100) / 100;
    if (x.busyMs !== undefined) x.busyMs = Math.round(x.busyMs * 100) / 100;
    return x;
  };
  const cpu = cpuTotals(store);
  const cpuMs = (ns: number | undefined): number => Math.round((ns ?? 0) / 1e5) / 10;
  return {
    schemaVersion: 1,
    exitCode: store.meta.exitCode,
    durationMs: ms(end),
    processes: store.processes.map((p) => {
      const w = naming.words.process(p);
      return { pid: p.pid, ppid: p.parentPid, name: p.name, exitCode: p.exitCode, internal: p.internal, label: w.label, role: w.role, ended: w.ended, cpuMs: cpuMs(cpu.process.get(p.pid)) };
    }),
    threads: store.threads.map((t) => {
      const w = naming.words.thread(t);
      return { pid: t.pid, tid: t.nativeId, name: t.name, daemon: t.daemon, internal: t.internal, library: t.library ?? null, label: w.label, helper: w.helper, cpuMs: cpuMs(cpu.thread[t.index]) };
    }),
    programs: naming.facts.childPrograms(store).map((c) => {
      const w = programWords(store, c.row, c.joinRow);
      return { pid: c.pid, ppid: store.threads[store.thread[c.row]]?.pid ?? 0, command: w.command, ended: w.ended };
    }),
    counts: countEvents(store),
    locks: [...locks.values()].map(round),
    queues: [...queues.values()],
    tasks: [...tasks.values()].map(round),
    findings,
    ...((m) => (m ? { merge: m } : {}))(mergeInfoOf(store.meta)),
  };
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => (typeof v === 'number' ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export function formatSummary(s: Summary): string {
  const out: string[] = [];
  out.push(`Exit code ${s.exitCode ?? '?'} · ${s.durationMs} ms · ${plural(s.processes.length, 'process', 'processes')} · ${plural(s.threads.length, 'thread')}`);
  if (s.merge) out.push('', 'Combined from', describeMerge(s.merge).trimEnd());
  out.push('', 'Processes');
  const children = new Map<number, Summary['processes']>();
  const pids = new Set(s.processes.map((p) => p.pid));
  for (const p of s.processes) {
    const parent = pids.has(p.ppid) ? p.ppid : 0;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(p);
  }
  const walk = (parent: number, depth: number): void => {
    for (const p of children.get(parent) ?? []) {
      const indent = '  '.repeat(depth + 1);
      const threads = s.threads.filter((t) => t.pid === p.pid);
      const mine = threads.filter((t) => !t.helper).map((t) => t.label);
      const helpers = threads.filter((t) => t.helper).map((t) => t.label);
      let list = mine.length ? foldNames(mine, 8) : 'none of its own';
      if (helpers.length) list += ` · ${plural(helpers.length, 'helper')}: ${foldNames(helpers, 3)}`;
      const name = p.label !== p.name ? `${p.label} (${p.name})` : p.name;
      const role = p.role === 'helper' ? ' (helper)' : '';
      const cpu = p.cpuMs > 0 ? ` — CPU ${p.cpuMs} ms` : '';
      out.push(`${indent}${p.pid} ${name}${role} — ${p.ended}${cpu} — threads: ${list}`);
      for (const c of s.programs.filter((x) => x.ppid === p.pid)) out.push(`${indent}  ${c.pid} ${c.command || 'forked child'} (not traced) — ${c.ended}`);
      walk(p.pid, depth + 1);
    }
  };
  walk(0, 0);
  const busy = s.processes.filter((p) => p.cpuMs > 0);
  if (busy.length) {
    // Per-thread CPU from the sampler: the GIL lesson in figures (four threads of one process share ~1 core).
    out.push('', 'CPU (sampled every 50 ms)');
    out.push(table([['pid', 'process', 'CPU ms', 'threads by CPU'], ...busy.map((p) => {
      const threads = s.threads.filter((t) => t.pid === p.pid && t.cpuMs > 0).sort((a, b) => b.cpuMs - a.cpuMs);
      const top = threads.slice(0, 4).map((t) => `${t.label} ${Math.round(t.cpuMs)} ms`).join(', ');
      return [p.pid, p.label, Math.round(p.cpuMs), threads.length > 4 ? `${top} and ${threads.length - 4} more` : top || '—'];
    })]).replace(/^/gm, '  '));
  }
  if (s.locks.length) {
    out.push('', 'Locks');
    out.push(table([['lock', 'type', 'acquisitions', 'waits', 'wait ms', 'held ms', 'timeouts'],
      ...s.locks.map((l) => [l.name, l.type, l.acquisitions, l.waits, l.waitMs, l.holdMs, l.timeouts])]).replace(/^/gm, '  '));
  }
  if (s.queues.length) {
    out.push('', 'Queues and pipes');
    const failed = s.queues.some((q) => q.failedGets + q.failedPuts > 0);
    out.push(table([['queue', 'type', 'puts', 'gets', ...(failed ? ['failed puts', 'failed gets (empty / timeout)'] : [])],
      ...s.queues.map((q) => [q.name, q.type, q.puts, q.gets, ...(failed ? [q.failedPuts, q.failedGets] : [])])]).replace(/^/gm, '  '));
  }
  if (s.tasks.length) {
    out.push('', 'Tasks per worker');
    out.push(table([['pid', 'worker', 'tasks', 'busy ms'], ...s.tasks.map((t) => [t.pid, t.thread, t.tasks, t.busyMs])]).replace(/^/gm, '  '));
  }
  out.push('', 'Events');
  out.push(table(Object.entries(s.counts).sort().map(([k, n]) => [k, n])).replace(/^/gm, '  '));
  out.push('', s.findings.length ? `Findings (${s.findings.length})` : 'Findings: none');
  for (const f of s.findings) out.push('', ...formatFinding(f));
  return out.join('\n') + '\n';
}

/**
 * One finding as text, in the words every view uses: the message, the
 * explanation with its usual fix, each site with its role, and the steps of
 * this run. Trace strings are printed as they are: the terminal line writer
 * strips control characters.
 */
export function formatFinding(f: Finding): string[] {
  const out = [`  ${f.kind} (${f.severity}): ${printable(f.message)}`];
  out.push(...wrap(printable(f.explanation), 96).map((l) => `    ${l}`));
  for (const site of f.sites) out.push(`    at ${printable(site.file)}:${site.line}${site.role ? ` — ${printable(site.role)}` : ''}`);
  // Objects created on one line are listed together ("forks, forks#2: Lock created at t.py:14").
  const created = new Map<string, string[]>();
  for (const o of f.objects) {
    if (!o.created) continue;
    const key = `${printable(o.type || 'object')} created at ${printable(o.created.file)}:${o.created.line}`;
    created.set(key, [...(created.get(key) ?? []), printable(o.name)]);
  }
  for (const [where, objects] of created) out.push(`    ${objects.join(', ')}: ${where}`);
  if (f.steps && f.steps.length > 0) {
    out.push('    what happened:');
    f.steps.forEach((step, i) => out.push(`      ${i + 1}. ${printable(step)}`));
  }
  return out;
}

/** Trace strings (names, paths, exception texts) without control characters, for a terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
