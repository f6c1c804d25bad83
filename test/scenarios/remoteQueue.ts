/**
 * The BaseManager tutorial as users run it (a queue server, a producer and
 * workers, each under its own `concurrency-trace run`), and what the tests
 * check on the combined trace.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { computeFlows, type Flow } from '../../src/core/analysis/flows';
import { mergeInfoOf, type MergeInfo } from '../../src/core/merge/mergeInfo';
import { readRunPlace } from '../../src/core/merge/runPlace';
import { K } from '../../src/core/recordKinds';
import { readTrace } from '../../src/core/traceFile';
import type { TraceStore } from '../../src/core/traceStore';
import type { CliResult } from './cliHarness';

export const SCRIPTS = path.join(__dirname, 'scripts', 'remote_queue');
/** Manager queue proxies' ids: 2^52 + 2^51 + a hash (events.py). */
const MANAGER_IDS = 2 ** 52 + 2 ** 51;

/** Collects a started CLI's output; resolves `line` with the first line that matches. */
export function watch(child: ChildProcess): { firstLine: Promise<string>; done: Promise<CliResult> } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let resolveLine: (s: string) => void = () => undefined;
  const firstLine = new Promise<string>((r) => (resolveLine = r));
  child.stdout?.on('data', (d: Buffer) => {
    out.push(d);
    const text = Buffer.concat(out).toString();
    if (text.includes('\n')) resolveLine(text.split('\n')[0]);
  });
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status, signal) => {
    resolveLine('');
    resolve({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
  }));
  return { firstLine, done };
}

/** Resolves true once the child's stdout matches `pattern` (false if it ends first). */
export function linesSeen(child: ChildProcess, pattern: RegExp): Promise<boolean> {
  let text = '';
  return new Promise((resolve) => {
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) resolve(true);
    });
    child.on('close', () => resolve(false));
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]);
}

export interface Combined {
  store: TraceStore;
  info: MergeInfo;
  flows: Flow[];
  /** Part index of each process of the combined store. */
  partOfProcess: number[];
}

/** The combined trace, with the part (index into `parts`, the traces merged in that order) of each process. */
export function loadCombined(file: string, parts: TraceStore[]): Combined {
  const store = readTrace(file);
  const info = mergeInfoOf(store.meta);
  assert.ok(info, `${file} is not a combined trace`);
  for (const [h, host] of info.hosts.entries()) {
    for (const pid of host.pids) assert.ok(store.processByPid(pid), `host ${h} lists pid ${pid}, which is not in the trace`);
  }
  // Parts are copied in the order given, each with all its processes.
  const partOfProcess = parts.flatMap((s, i) => s.processes.map(() => i));
  assert.equal(partOfProcess.length, store.processes.length);
  return { store, info, flows: computeFlows(store), partOfProcess };
}

/** Rows of Manager queue puts and gets (not failed) in the store. */
export function managerQueueOps(store: TraceStore): { puts: number[]; gets: number[] } {
  const puts: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < store.length; i++) {
    const k = store.kind[i];
    if ((k !== K.QUEUE_PUT && k !== K.QUEUE_GET) || store.obj[i] < MANAGER_IDS || !(store.b[i] & 2) || store.b[i] & 1) continue;
    if (Number.isNaN(store.end[i]) && k === K.QUEUE_GET) continue; // still waiting: received nothing
    (k === K.QUEUE_PUT ? puts : gets).push(i);
  }
  return { puts, gets };
}

/** Every Manager queue put reaches a get in another process, every get comes from a put of another process. */
export function assertEveryManagerMessagePaired(c: Combined): number {
  const { puts, gets } = managerQueueOps(c.store);
  const byFrom = new Map<number, Flow>();
  const byTo = new Map<number, Flow>();
  for (const f of c.flows) {
    if (f.kind !== 'queue') continue;
    byFrom.set(f.from, f);
    byTo.set(f.to, f);
  }
  const pidOf = (row: number): number => c.store.threads[c.store.thread[row]].pid;
  for (const r of puts) {
    const f = byFrom.get(r);
    assert.ok(f, `Manager queue put at row ${r} (pid ${pidOf(r)}) is not paired with a get`);
    assert.notEqual(pidOf(f.to), pidOf(r));
  }
  for (const r of gets) {
    const f = byTo.get(r);
    assert.ok(f, `Manager queue get at row ${r} (pid ${pidOf(r)}) is not paired with a put`);
    assert.notEqual(pidOf(f.from), pidOf(r));
  }
  return puts.length + gets.length;
}

/**
 * Where each part's time 0 truly was, relative to the first part's, from
 * the monotonic clock all the test's "hosts" share (their meta minus the
 * test-only offset).
 */
export function trueStarts(parts: TraceStore[]): number[] {
  const zeros = parts.map((s) => {
    const place = readRunPlace(s.meta as unknown as Record<string, unknown>);
    assert.ok(place, 'a trace without its run place');
    return BigInt(place.monoNsAtZero) - BigInt(place.testClockOffsetNs ?? 0);
  });
  return zeros.map((z) => Number(z - zeros[0]));
}
