/**
 * Analysis throughput on synthetic traces (no Python): the findings engine
 * over a whole trace, and the same trace fed in live-sized slices. A mix of
 * what real traces hold: lock holds and contended waits, thread queue
 * hand-offs, shared reads and writes (so happens-before runs), sleeps and
 * CPU samples, over 8 threads in 2 processes.
 */
import { FindingsEngine, findings } from '../../src/core/analysis/findings';
import { K, kindInfo } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { encodeThreadSample } from '../../src/core/run/threadSample';

export function syntheticTrace(events: number): TraceStore {
  const s = new TraceStore();
  const threads: number[] = [];
  for (const pid of [100, 200]) {
    const p = s.addProcess({ pid, ppid: 1, parentPid: 1, name: `p${pid}`, argv: [], python: '3.11.7', startTs: 0, endTs: 0,
      exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
    for (let i = 0; i < 4; i++) {
      const t = s.addThread({ process: p.index, pid, ident: 10 + i, nativeId: pid + i, name: `t${i}`, startTs: 0, endTs: NaN,
        daemon: false, internal: false, main: i === 0, exception: null });
      if (i === 0) p.mainThread = t.index;
      threads.push(t.index);
    }
  }
  const site = s.addSite('/app/prog.py', 10, 'work');
  const lockA = 2 ** 40 + 1;
  const lockB = 2 ** 40 + 2;
  const queue = 2 ** 40 + 3;
  const value = 2 ** 51 + 5;
  s.objects.set(lockA, { id: lockA, type: 'multiprocessing.Lock', label: 'lock_a', pid: 100, site });
  s.objects.set(lockB, { id: lockB, type: 'Lock', label: 'lock_b', pid: 100, site });
  s.objects.set(queue, { id: queue, type: 'Queue', label: 'q', pid: 100, site });
  s.objects.set(value, { id: value, type: 'Value', label: 'balance', pid: 100, site });
  for (const t of threads) s.push(K.THREAD_START, 0, NaN, t, 0, -1, 0, 0);
  let ts = 1000;
  let msg = 1;
  const step = 1000; // 1 µs apart: a 1 M-event trace spans about a second
  while (s.length < events) {
    for (const t of threads) {
      if (s.length >= events) break;
      const r = (s.length * 2654435761) % 100;
      ts += step;
      if (r < 30) {
        // An uncontended hold of a lock shared by all (ordered, so no race below).
        s.push(K.LOCK_HOLD, ts, ts + step / 2, t, lockA, site, 0, 0);
        s.push(K.SHARED_READ, ts + 10, ts + 10, t, value, site, -(2 ** 51 + 1), 0);
        s.push(K.SHARED_WRITE, ts + 20, ts + 20, t, value, site, -(2 ** 51 + 2), 0);
      } else if (r < 45) {
        s.push(K.LOCK_WAIT, ts, ts + step / 4, t, lockB, site, 1, 0);
        s.push(K.LOCK_HOLD, ts + step / 4, ts + step / 2, t, lockB, site, 0, 0);
      } else if (r < 65) {
        const m = msg++;
        s.push(K.QUEUE_PUT, ts, ts, t, queue, site, m, 0);
        s.push(K.QUEUE_GET, ts + step / 2, ts + step / 2, threads[(threads.indexOf(t) + 1) % 4], queue, site, m, 0);
      } else if (r < 80) {
        s.push(K.SLEEP, ts, ts + step / 2, t, 0, site, 1000, 0);
      } else {
        s.push(K.SAMPLE_CPU, ts, ts, t, t < 4 ? 100 : 200, -1, 25, encodeThreadSample(0, r % 2 ? 'R' : 'S'));
      }
    }
  }
  return s;
}

/**
 * Feeds a complete store into a new one in slices (spans open, closed a slice
 * later), updating the engine after each; returns the CPU seconds spent in
 * the engine alone.
 */
function live(src: TraceStore, slice: number): number {
  const dst = new TraceStore();
  for (const p of src.processes) dst.addProcess({ ...p });
  for (const t of src.threads) dst.addThread({ ...t });
  for (const x of src.sites) dst.addSite(x.file, x.line, x.func);
  for (const [id, o] of src.objects) dst.objects.set(id, { ...o });
  // Lag: 50 ms of trace time, more than a slice (about 12 ms here) as the live lag (250 ms) is more than a poll (30 ms):
  // span ends then arrive before the analysis reaches them.
  const engine = new FindingsEngine(dst, { lagNs: 50e6 });
  let pendingEnds: [number, number][] = [];
  let spent = 0;
  const timed = (f: () => void): void => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    spent += (c.user + c.system) / 1e6;
  };
  for (let i = 0; i < src.length; i += slice) {
    for (const [row, r] of pendingEnds) dst.update(row, src.end[r], src.a[r], src.b[r]);
    pendingEnds = [];
    const n = Math.min(src.length, i + slice);
    for (let r = i; r < n; r++) {
      const span = kindInfo(src.kind[r])?.span ?? false;
      const open = span && !Number.isNaN(src.end[r]) && src.end[r] !== src.ts[r];
      const row = dst.push(src.kind[r], src.ts[r], open ? NaN : src.end[r], src.thread[r], src.obj[r], src.site[r], src.a[r], src.b[r]);
      if (open) pendingEnds.push([row, r]);
    }
    timed(() => engine.update({ now: src.ts[n - 1] }));
  }
  for (const [row, r] of pendingEnds) dst.update(row, src.end[r], src.a[r], src.b[r]);
  timed(() => engine.update({ final: true }));
  if (engine.lateEvents > 0) console.log(`  (live: ${engine.lateEvents} events arrived late)`);
  return spent;
}

/**
 * Rates in events per second of CPU time (this process's user + system): the
 * machines here are shared, and wall time would measure the neighbours.
 */
export function analysisThroughput(events = 1_000_000, runs = 3): void {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cpuSeconds = (f: () => void): number => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  const store = syntheticTrace(events);
  const whole: number[] = [];
  const sliced: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    whole.push(store.length / cpuSeconds(() => (found = findings(store).length)));
    sliced.push(store.length / live(store, 20_000));
  }
  console.log(`analysis         ${(median(whole) / 1e6).toFixed(2)} M events/s whole trace · ${(median(sliced) / 1e6).toFixed(2)} M events/s live (an update every 20 000 events) · ${store.length} events, ${found} finding(s) · per CPU second`);
}

if (require.main === module) analysisThroughput(Number(process.argv[2] || 1_000_000));
