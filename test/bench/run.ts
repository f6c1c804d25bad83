/**
 * `npm run bench`: traced vs untraced, side by side in one run, medians of
 * several alternating runs (the machines here are 2 noisy cores). Prints
 * figures; asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector } from '../../src/core/collector';
import { epochFromBigInt } from '../../src/core/eventFile';
import { TraceStore } from '../../src/core/traceStore';
import { analysisThroughput } from './analysis';

const PYTHON = process.env.CONCURRENCY_TRACE_PYTHON || 'python3';
const CLI = path.join(__dirname, '../../dist/cli.js');
const SCRIPTS = path.join(__dirname, 'scripts');
const RUNS = Number(process.env.BENCH_RUNS || 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function ratio(script: string): void {
  const file = path.join(SCRIPTS, script);
  const out = path.join(os.tmpdir(), `bench-${process.pid}.ctrace`);
  const plain: number[] = [];
  const traced: number[] = [];
  const runtimeOnly: number[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-runtime-'));
  const env = { ...process.env, PYTHONPATH: path.join(__dirname, '../../src/runtime'), CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench' };
  wall(PYTHON, [file]); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    plain.push(wall(PYTHON, [file]));
    traced.push(wall(process.execPath, [CLI, 'run', '--python', PYTHON, '--out', out, file]));
    // The instrumented runtime alone (no collector, sampler or Node): what tracing costs the program.
    runtimeOnly.push(wall(PYTHON, [file], env));
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  // The traced figure includes the CLI's own start (Node) and saving the trace:
  // what a user waits for. The script-only ratio subtracts Node's start-up.
  const node = median(Array.from({ length: RUNS }, () => wall(process.execPath, ['-e', '0'])));
  const p = median(plain);
  const t = median(traced);
  const r = median(runtimeOnly);
  console.log(`${script.padEnd(16)} untraced ${p.toFixed(0)} ms · CLI traced ${t.toFixed(0)} ms · ratio ${(t / p).toFixed(3)} (without node start-up ${((t - node) / p).toFixed(3)}) · runtime only ${r.toFixed(0)} ms, ratio ${(r / p).toFixed(3)}`);
  fs.rmSync(out, { force: true });
}

function withLockCost(): void {
  const file = path.join(SCRIPTS, 'with_lock_ns.py');
  const env = (dir?: string): NodeJS.ProcessEnv => dir
    ? { ...process.env, PYTHONPATH: path.join(__dirname, '../../src/runtime'), CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench' }
    : { ...process.env };
  const plain: number[][] = [];
  const traced: number[][] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(execFileSync(PYTHON, [file], { env: env(), encoding: 'utf8' }).trim().split(' ').map(Number));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lock-'));
    traced.push(execFileSync(PYTHON, [file], { env: env(dir), encoding: 'utf8' }).trim().split(' ').map(Number));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const [i, name] of ['Lock', 'RLock'].entries()) {
    const p = median(plain.map((x) => x[i]));
    const t = median(traced.map((x) => x[i]));
    console.log(`with ${name.padEnd(12)} untraced ${p.toFixed(0)} ns · traced ${t.toFixed(0)} ns · added ${(t - p).toFixed(0)} ns per uncontended acquire+release`);
  }
}

function collectorThroughput(): void {
  // Real event files written by the real runtime: one process, 4 threads, many spans.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-collect-'));
  const code = [
    'import threading, time',
    'from concurrency_trace import writer',
    'def emit(n):',
    '    for i in range(n):',
    '        off = writer.begin(70, 0, 0, i)',
    '        writer.finish_time(off)',
    'ts = [threading.Thread(target=emit, args=(250000,)) for _ in range(4)]',
    '[t.start() for t in ts]; [t.join() for t in ts]',
  ].join('\n');
  const env = { ...process.env, PYTHONPATH: path.join(__dirname, '../../src/runtime'), CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench' };
  const epoch = process.hrtime.bigint();
  execFileSync(PYTHON, ['-c', code], { env });
  const rates: number[] = [];
  let perEvent = 0;
  let heapPerEvent = 0;
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const store = new TraceStore();
    const c = new Collector({ dir, token: 'bench', epoch: epochFromBigInt(epoch), store });
    const t = process.hrtime.bigint();
    c.stop();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    rates.push(store.length / s);
    perEvent = store.columnBytes() / store.length;
    global.gc?.();
    heapPerEvent = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0) / store.length;
  }
  console.log(`collector        ${(median(rates) / 1e6).toFixed(2)} M events/s parsed and stored · columns ${perEvent.toFixed(0)} B/event (capacity incl.) · heap+buffers ${heapPerEvent.toFixed(0)} B/event`);
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(`Concurrency Trace benchmarks · ${PYTHON} · ${os.cpus().length} cores · median of ${RUNS} runs`);
ratio('pool_cpu.py');
ratio('lock_updates.py');
withLockCost();
collectorThroughput();
analysisThroughput();
