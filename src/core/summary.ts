/**
 * `concurrency-trace summary`: the run in figures — processes and threads,
 * event counts, lock contention, queue traffic, tasks per worker — as JSON
 * (the contract in DESIGN.md) or as a readable table.
 */
import { K, kindInfo } from './recordKinds';
import type { TraceStore } from './traceStore';

import type { Finding } from './analysis/finding';
import { mergeInfoOf, type MergeInfo } from './merge/mergeInfo';
import { describeMerge } from './merge/mergeReport';

export type { Finding } from './analysis/finding';

export interface Summary {
  schemaVersion: 1;
  exitCode: number | null;
  durationMs: number;
  processes: { pid: number; ppid: number; name: string; exitCode: number | null; internal: boolean }[];
  threads: { pid: number; tid: number; name: string; daemon: boolean; internal: boolean }[];
  counts: Record<string, number>;
  locks: { id: number; name: string; type: string; acquisitions: number; waits: number; timeouts: number; waitMs: number; holdMs: number }[];
  queues: { id: number; name: string; type: string; puts: number; gets: number }[];
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
  const objectName = (id: number): { name: string; type: string } => {
    const o = store.objects.get(id);
    return { name: o?.label || (o ? `${o.type}#${id % 16777216}` : `#${id}`), type: o?.type ?? '' };
  };
  const lock = (id: number): Summary['locks'][number] => {
    let l = locks.get(id);
    if (!l) locks.set(id, (l = { id, ...objectName(id), acquisitions: 0, waits: 0, timeouts: 0, waitMs: 0, holdMs: 0 }));
    return l;
  };
  const queue = (id: number): Summary['queues'][number] => {
    let q = queues.get(id);
    if (!q) queues.set(id, (q = { id, ...objectName(id), puts: 0, gets: 0 }));
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
      case K.QUEUE_PUT:
        queue(store.obj[i]).puts++;
        break;
      case K.QUEUE_GET:
        queue(store.obj[i]).gets++;
        break;
      case K.TASK_RUN: {
        const t = store.threads[store.thread[i]];
        let row = tasks.get(store.thread[i]);
        const proc = t ? store.processes[t.process] : undefined;
        // A pool worker is known by its process (ForkPoolWorker-1) or its thread (ThreadPoolExecutor-0_0).
        const worker = t && proc && t.main && proc.name ? `${proc.name}` : t?.name ?? '';
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
  return {
    schemaVersion: 1,
    exitCode: store.meta.exitCode,
    durationMs: ms(end),
    processes: store.processes.map((p) => ({ pid: p.pid, ppid: p.parentPid, name: p.name, exitCode: p.exitCode, internal: p.internal })),
    threads: store.threads.map((t) => ({ pid: t.pid, tid: t.nativeId, name: t.name, daemon: t.daemon, internal: t.internal })),
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
  out.push(`Exit code ${s.exitCode ?? '?'} · ${s.durationMs} ms · ${s.processes.length} process(es) · ${s.threads.length} thread(s)`);
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
      const threads = s.threads.filter((t) => t.pid === p.pid).map((t) => t.name);
      const exit = p.exitCode === null ? 'exit ?' : p.exitCode < 0 ? `killed by signal ${-p.exitCode}` : `exit ${p.exitCode}`;
      out.push(`${'  '.repeat(depth + 1)}${p.pid} ${p.name}${p.internal ? ' (helper)' : ''} — ${exit} — threads: ${threads.join(', ')}`);
      walk(p.pid, depth + 1);
    }
  };
  walk(0, 0);
  if (s.locks.length) {
    out.push('', 'Locks');
    out.push(table([['lock', 'type', 'acquisitions', 'waits', 'wait ms', 'held ms', 'timeouts'],
      ...s.locks.map((l) => [l.name, l.type, l.acquisitions, l.waits, l.waitMs, l.holdMs, l.timeouts])]).replace(/^/gm, '  '));
  }
  if (s.queues.length) {
    out.push('', 'Queues and pipes');
    out.push(table([['queue', 'type', 'puts', 'gets'], ...s.queues.map((q) => [q.name, q.type, q.puts, q.gets])]).replace(/^/gm, '  '));
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
