/**
 * A small made-up trace with the evidence of three findings — two threads
 * deadlocked on two locks (open waits), two processes racing on a shared
 * Value, a lock-order inversion between two other threads — and the Finding
 * objects an analysis would make of it, written by hand so the pane can be
 * tested before (and independently of) every kind of the analysis.
 */
import type { Finding } from '../../src/core/analysis/finding';
import { K } from '../../src/core/trace/recordKinds';
import type { ProcessInfo } from '../../src/core/trace/traceModel';
import { TraceStore } from '../../src/core/trace/traceStore';

export const APP_FILE = '/work/example/bank.py';
const MS = 1e6;

export interface FindingsTrace {
  store: TraceStore;
  findings: Finding[];
  /** Rows by name, for assertions. */
  rows: Record<string, number>;
}

export function findingsTrace(hostile = ''): FindingsTrace {
  const s = new TraceStore();
  s.meta = { exitCode: 0, signal: null, argv: ['python3', APP_FILE], startedAt: '2024-01-01T00:00:00.000Z', python: '3.12.0' };
  const site = (line: number, func: string): number => s.addSite(APP_FILE, line, func);
  const proc = (pid: number, parentPid: number, name: string): ProcessInfo =>
    s.addProcess({ pid, ppid: parentPid, parentPid, name, argv: ['python3', APP_FILE], python: '3.12', startTs: 1 * MS, endTs: 900 * MS, exited: true,
      exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  const thread = (p: ProcessInfo, ident: number, name: string): number => {
    const t = s.addThread({ process: p.index, pid: p.pid, ident, nativeId: ident, name, startTs: 1 * MS, endTs: 900 * MS, daemon: false, internal: false, main: p.mainThread < 0, exception: null });
    if (p.mainThread < 0) p.mainThread = t.index;
    return t.index;
  };
  const obj = (id: number, type: string, label: string): number => {
    s.objects.set(id, { id, type, label, pid: 100, site: -1 });
    return id;
  };
  const A = obj(11, 'Lock', 'lock_a');
  const B = obj(12, 'Lock', 'lock_b');
  const ACC = obj(13, 'Lock', 'accounts_lock');
  const AUD = obj(14, 'Lock', 'audit_lock');
  const BAL = obj(15, 'multiprocessing.Value', 'balance');

  const main = proc(100, 1, 'bank.py');
  const mainT = thread(main, 100, 'MainThread');
  const one = thread(main, 101, 'one');
  const two = thread(main, 102, 'two');
  const transfer = thread(main, 103, 'transfer');
  const audit = thread(main, 104, 'audit');
  const dep = proc(200, 100, 'deposit() / Process-1');
  const depT = thread(dep, 200, 'MainThread');
  const wd = proc(300, 100, 'withdraw() / Process-2');
  const wdT = thread(wd, 300, 'MainThread');
  for (const t of s.threads) s.push(K.THREAD_START, 1 * MS, NaN, t.index, t.nativeId, -1, s.intern(t.name), 0);

  const rows: Record<string, number> = {};
  const v = (x: number): number => -(2 ** 51 + x);
  // The race: both processes read 41, then both write.
  rows.readDep = s.push(K.SHARED_READ, 100 * MS, 100 * MS, depT, BAL, site(9, 'deposit'), v(41), 0);
  rows.readWd = s.push(K.SHARED_READ, 101 * MS, 101 * MS, wdT, BAL, site(16, 'withdraw'), v(41), 0);
  rows.writeDep = s.push(K.SHARED_WRITE, 102 * MS, 102 * MS, depT, BAL, site(9, 'deposit'), v(42), 0);
  rows.writeWd = s.push(K.SHARED_WRITE, 103 * MS, 103 * MS, wdT, BAL, site(16, 'withdraw'), v(40), 0);
  // The inversion: transfer takes accounts then audit; audit takes audit then accounts (never at once).
  rows.accOuter = s.push(K.LOCK_HOLD, 200 * MS, 230 * MS, transfer, ACC, site(30, 'transfer'), 0, 0);
  rows.audInner = s.push(K.LOCK_HOLD, 210 * MS, 220 * MS, transfer, AUD, site(31, 'transfer'), 0, 0);
  rows.audOuter = s.push(K.LOCK_HOLD, 300 * MS, 330 * MS, audit, AUD, site(37, 'audit'), 0, 0);
  rows.accInner = s.push(K.LOCK_HOLD, 310 * MS, 320 * MS, audit, ACC, site(38, 'audit'), 0, 0);
  // The deadlock: one holds lock_a and waits for lock_b; two holds lock_b and waits for lock_a, until the end.
  rows.holdA = s.push(K.LOCK_HOLD, 500 * MS, NaN, one, A, site(22, 'one'), 0, 0);
  rows.holdB = s.push(K.LOCK_HOLD, 502 * MS, NaN, two, B, site(28, 'two'), 0, 0);
  rows.waitB = s.push(K.LOCK_WAIT, 510 * MS, NaN, one, B, site(24, 'one'), 0, 0);
  rows.waitA = s.push(K.LOCK_WAIT, 512 * MS, NaN, two, A, site(30, 'two'), 0, 0);
  s.push(K.SLEEP, 520 * MS, 880 * MS, mainT, 0, site(40, '<module>'), 360 * MS, 0);

  const party = (t: number): { pid: number; thread: number; name: string } => ({ pid: s.threads[t].pid, thread: t, name: `${s.threads[t].name} (pid ${s.threads[t].pid})` });
  const findings: Finding[] = [
    {
      id: 'data-race:balance', kind: 'data-race', severity: 'error',
      message: `Data race on balance: deposit() and withdraw() read and write it without a common lock${hostile}`,
      explanation: 'Both processes read balance, add or subtract 1 and write it back. When the two reads happen before either write, one update is lost.\nFix: hold balance.get_lock() around the read and the write.',
      parties: [party(depT), party(wdT)],
      objects: [{ id: BAL, type: 'multiprocessing.Value', name: 'balance', created: { file: APP_FILE, line: 20, role: 'created' } }],
      sites: [{ file: APP_FILE, line: 9, role: 'reads and writes balance (deposit)', row: rows.readDep }, { file: APP_FILE, line: 16, role: 'reads and writes balance (withdraw)', row: rows.readWd }],
      window: { startTs: 100 * MS, endTs: 103 * MS },
      events: [rows.readDep, rows.readWd, rows.writeDep, rows.writeWd],
      edges: [{ fromRow: rows.writeDep, toRow: rows.writeWd, label: 'writes 40 over 42' }],
      steps: ['P1 read 41 at line 9', 'P2 read 41 at line 16', 'P1 wrote 42', 'P2 wrote 40'],
      details: { accesses: 4 },
    },
    {
      id: 'deadlock:lock_a,lock_b', kind: 'deadlock', severity: 'error',
      message: 'Deadlock: one waits for lock_b held by two; two waits for lock_a held by one',
      explanation: 'Each thread holds one lock and waits for the other, so neither can go on.\nFix: take the two locks in the same order everywhere.',
      parties: [party(one), party(two)],
      objects: [{ id: A, type: 'Lock', name: 'lock_a' }, { id: B, type: 'Lock', name: 'lock_b' }],
      sites: [{ file: APP_FILE, line: 24, role: 'one waits for lock_b', row: rows.waitB }, { file: APP_FILE, line: 30, role: 'two waits for lock_a', row: rows.waitA }],
      window: { startTs: 512 * MS, endTs: 900 * MS },
      events: [rows.holdA, rows.holdB, rows.waitB, rows.waitA],
      edges: [{ fromRow: rows.waitB, toRow: rows.holdB, label: 'waits for lock_b' }, { fromRow: rows.waitA, toRow: rows.holdA, label: 'waits for lock_a' }],
      details: { endedBy: 'end of trace' },
    },
    {
      id: 'lock-order-inversion:accounts_lock,audit_lock', kind: 'lock-order-inversion', severity: 'warning',
      message: 'Lock-order inversion: transfer takes accounts_lock then audit_lock; audit takes audit_lock then accounts_lock',
      explanation: 'Two threads take the same two locks in opposite orders. Run at the same moment, they deadlock.\nFix: always take accounts_lock first.',
      parties: [party(transfer), party(audit)],
      objects: [{ id: ACC, type: 'Lock', name: 'accounts_lock' }, { id: AUD, type: 'Lock', name: 'audit_lock' }],
      sites: [{ file: APP_FILE, line: 31, role: 'takes audit_lock holding accounts_lock', row: rows.audInner }, { file: APP_FILE, line: 38, role: 'takes accounts_lock holding audit_lock', row: rows.accInner }],
      window: { startTs: 200 * MS, endTs: 330 * MS },
      events: [rows.accOuter, rows.audInner, rows.audOuter, rows.accInner],
      edges: [{ fromRow: rows.accOuter, toRow: rows.audInner, label: 'then audit_lock' }, { fromRow: rows.audOuter, toRow: rows.accInner, label: 'then accounts_lock' }],
    },
  ];
  return { store: s, findings, rows };
}
