/**
 * Synthetic traces of a program's parts for the merge tests: a producer and a
 * worker exchanging Manager queue messages, each trace on a clock of its own
 * (or a shared one), with known true times.
 */
import type { RunPlace } from '../../src/core/merge/runPlace';
import { K } from '../../src/core/recordKinds';
import { TraceStore } from '../../src/core/traceStore';

export const MS = 1e6;
export const S = 1e9;
export const WALL = 1_700_000_000_000_000_000n;
/** A Manager queue's id: derived from the manager's address, the same in every trace. */
const TASKS = 2 ** 52 + 2 ** 51 + 12345;
const RESULTS = 2 ** 52 + 2 ** 51 + 67890;
const key = (n: number): number => 2 ** 34 + n;

export interface Where {
  host: string;
  clock: string;
  /** The run's zero on the true time line (ns after WALL). */
  trueZero: number;
  /** How far this clock reads ahead of the truth (ns). */
  ahead: number;
  /** Monotonic reading at the run's zero (any number: monotonic clocks start at boot). */
  mono: bigint;
}

export function place(w: Where): RunPlace {
  const reads = BigInt(w.trueZero + w.ahead);
  return {
    hostId: w.host.padEnd(16, '0'), hostName: 'box', hostAddresses: [`10.77.0.${w.host.charCodeAt(0) - 96}`],
    clockId: w.clock.padEnd(16, '0'), monoNsAtZero: String(w.mono + reads), wallNsAtZero: String(WALL + reads),
  };
}

/** A one-process trace; `events` get (kind, true time of start, true end or NaN, obj, a, b). */
export function trace(w: Where, pid: number, name: string, events: [number, number, number, number, number, number][]): TraceStore {
  const s = new TraceStore();
  const last = Math.max(...events.map((e) => (Number.isNaN(e[2]) ? e[1] : e[2]))) - w.trueZero;
  s.addProcess({ pid, ppid: 1, parentPid: 1, name, argv: ['python3', name], python: '3.11.7', startTs: 0, endTs: last, exited: true,
    exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: 0 });
  s.addThread({ process: 0, pid, ident: 7, nativeId: pid, name: 'MainThread', startTs: 0, endTs: last, daemon: false, internal: false, main: true, exception: null });
  s.addSite(`/home/u/${name}`, 3, '<module>');
  s.push(K.PROCESS_START, 0, 0, 0, pid, -1, 1, s.intern('{}'));
  for (const [kind, t, end, obj, a, b] of events) s.push(kind, t - w.trueZero, end - w.trueZero, 0, obj, 0, a, b);
  s.meta = { exitCode: 0, signal: null, argv: ['python3', name], startedAt: '2024-01-01T00:00:00.000Z', python: '3.11.7' };
  Object.assign(s.meta, place(w));
  return s;
}

export const A: Where = { host: 'a', clock: 'a', trueZero: 0, ahead: 0, mono: 1000n * BigInt(S) };
export const B: Where = { host: 'b', clock: 'b', trueZero: 1 * S, ahead: 2 * S, mono: 5000n * BigInt(S) };

/** Producer on A puts 5 tasks and gets 5 results; worker on B gets each task 1–3 ms later and puts its result. */
export function producerAndWorker(worker: Where = B, workerPid = 100): [TraceStore, TraceStore] {
  const prod: [number, number, number, number, number, number][] = [];
  const work: [number, number, number, number, number, number][] = [];
  for (let k = 0; k < 5; k++) {
    const put = 1.5 * S + k * 100 * MS;
    const got = put + (1 + (k % 3)) * MS;
    prod.push([K.QUEUE_PUT, put, put + 0.2 * MS, TASKS, key(k), 2]);
    work.push([K.QUEUE_GET, got - 5 * MS, got, TASKS, key(k), 2]);
    const back = got + 10 * MS;
    work.push([K.QUEUE_PUT, back, back + 0.2 * MS, RESULTS, key(100 + k), 2]);
    prod.push([K.QUEUE_GET, back - 50 * MS, back + (3 - (k % 3)) * MS, RESULTS, key(100 + k), 2]);
  }
  // The same local ids on both sides (writer object ids start from the pid): must not pair.
  const local = (100 << 24) + 1;
  prod.push([K.QUEUE_PUT, 1.2 * S, 1.2 * S, local, local + 1, 0], [K.QUEUE_GET, 1.3 * S, 1.3 * S, local, local + 1, 0]);
  work.push([K.QUEUE_PUT, 1.25 * S, 1.25 * S, local, local + 1, 0]);
  return [trace(A, 100, 'producer.py', prod), trace(worker, workerPid, 'worker.py', work)];
}

