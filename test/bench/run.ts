/**
 * `npm run bench`: traced vs untraced, side by side in one run, medians of
 * several alternating runs (the machines here are 2 noisy cores). Prints
 * figures; asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findings } from '../../src/core/analysis/findings';
import { writeChromeTrace } from '../../src/core/export/chrome';
import { buildSummary } from '../../src/core/export/summary';
import { readTrace, writeTrace } from '../../src/core/trace/traceFile';
import { frameBreakdownBench } from '../webview/bench/frameBreakdown';
import { WIDTHS, webviewScaleBench } from '../webview/bench/scaleBench';
import { syntheticStore } from '../webview/syntheticTrace';
import { analysisThroughput } from './analysis';
import { collectorAtScale } from './collectScale';
import { idleCosts } from './idleCost';
import { liveView } from './liveView';
import { pyStateCost } from './pyStateCost';
import { samplerUnderLoad } from './samplerLoad';

const PYTHON = process.env.CONCURRENCY_TRACE_PYTHON || 'python3';
const CLI = path.join(__dirname, '../../dist/cli.js');
const SCRIPTS = path.join(__dirname, 'scripts');
const RUNS = Number(process.env.BENCH_RUNS || 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  return command(cmd, args, env).ms;
}

/**
 * Wall time (ms) and CPU time (user + system of the command and the children
 * it waited for, ms, from GNU time) of one command. CPU time is what a
 * loaded machine (2 cores, several agents) disturbs least.
 */
function command(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; cpu: number } {
  const t = process.hrtime.bigint();
  // stderr kept for a failure and GNU time's last line: the CLI's "trace saved" line would fill the table.
  const r = spawnSync('/usr/bin/time', ['-f', 'ct-bench-cpu %U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /ct-bench-cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { ms, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

function ratio(script: string): void {
  const file = path.join(SCRIPTS, script);
  const out = path.join(os.tmpdir(), `bench-${process.pid}.ctrace`);
  const plain: number[] = [];
  const traced: number[] = [];
  const runtimeOnly: number[] = [];
  const cpu: number[][] = [[], [], []];
  const run = (into: number[], k: number, cmd: string, args: string[], env?: NodeJS.ProcessEnv): void => {
    const r = command(cmd, args, env);
    into.push(r.ms);
    cpu[k].push(r.cpu);
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-runtime-'));
  const env = { ...process.env, PYTHONPATH: path.join(__dirname, '../../src/runtime'), CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench' };
  wall(PYTHON, [file]); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    run(plain, 0, PYTHON, [file]);
    run(traced, 1, process.execPath, [CLI, 'run', '--python', PYTHON, '--out', out, file]);
    // The instrumented runtime alone (no collector, sampler or Node): what tracing costs the program.
    run(runtimeOnly, 2, PYTHON, [file], env);
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
  const [cp, ct, cr] = cpu.map(median);
  console.log(`${''.padEnd(16)} CPU: untraced ${cp.toFixed(0)} ms · CLI traced ${ct.toFixed(0)} ms, ratio ${(ct / cp).toFixed(3)} · runtime only ${cr.toFixed(0)} ms, ratio ${(cr / cp).toFixed(3)}`);
  fs.rmSync(out, { force: true });
}

// The hot path of locks, side by side: untraced, traced with the C accelerator,
// traced on the pure-Python path (CONCURRENCY_TRACE_NATIVE=0) and, when
// BENCH_BASELINE names another checkout's src/runtime, traced by that one
// (the figures before a change). The runtime alone (no CLI, collector or
// sampler), so the columns differ only by what the tracer does in the program.
type Variant = { name: string; env: (dir: string) => NodeJS.ProcessEnv };
const RUNTIME = path.join(__dirname, '../../src/runtime');
const traced = (runtime: string, extra: NodeJS.ProcessEnv) => (dir: string): NodeJS.ProcessEnv => ({
  ...process.env, PYTHONPATH: runtime, CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench', ...extra,
});
const VARIANTS: Variant[] = [
  { name: 'untraced', env: () => ({ ...process.env }) },
  { name: 'native', env: traced(RUNTIME, { CONCURRENCY_TRACE_NATIVE: '1' }) },
  { name: 'pure Python', env: traced(RUNTIME, { CONCURRENCY_TRACE_NATIVE: '0' }) },
  ...(process.env.BENCH_BASELINE ? [{ name: 'baseline', env: traced(path.resolve(process.env.BENCH_BASELINE), {}) }] : []),
];

function nativeStatus(): string {
  const code = 'import sys; sys.path.insert(0, sys.argv[1]); from concurrency_trace import native; native.load(); print(native.status)';
  return execFileSync(PYTHON, ['-c', code, RUNTIME], { encoding: 'utf8' }).trim();
}

// Each script prints numbers on its last line; runs alternate between the variants.
function measure(script: string, args: string[]): number[][][] {
  const file = path.join(SCRIPTS, script);
  const out: number[][][] = VARIANTS.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    VARIANTS.forEach((v, k) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lock-'));
      const text = execFileSync(PYTHON, [file, ...args], { env: v.env(dir), encoding: 'utf8' }).trim().split('\n');
      out[k].push(text[text.length - 1].split(' ').map(Number));
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  return out;
}

function lockTable(): void {
  const cell = (s: string): string => s.padEnd(28);
  const rows: string[] = [];
  const perOp = measure('with_lock_ns.py', []);
  for (const [i, name] of ['Lock', 'RLock'].entries()) {
    const m = perOp.map((runs) => median(runs.map((x) => x[i])));
    rows.push(`${cell(`with ${name}: ns/op`)}${m.map((v, k) => cell(k === 0 ? v.toFixed(0) : `${v.toFixed(0)} (+${(v - m[0]).toFixed(0)})`)).join('')}`);
  }
  for (const [script, label] of [['threads_lock_heavy.py', '2 threads×100k with'], ['lock_updates.py', '2 procs×100k mp Lock']] as const) {
    const runs = measure(script, []);
    for (const [i, what] of ['s wall', 's CPU'].entries()) {
      const m = runs.map((r) => median(r.map((x) => x[i])));
      rows.push(`${cell(`${label}: ${what}`)}${m.map((v, k) => cell(k === 0 ? v.toFixed(3) : `${v.toFixed(3)} (${(v / m[0]).toFixed(2)}×)`)).join('')}`);
    }
  }
  console.log(`locks (native: ${nativeStatus()}; ns/op: thread CPU time, best of 9 rounds; s: inside the script, elapsed and CPU)`);
  console.log(`${cell('')}${VARIANTS.map((v) => cell(v.name)).join('')}`);
  for (const r of rows) console.log(r);
  console.log('goals: ≤ 300 ns added per with lock, lock-heavy ≤ 1.5× inside the script');
}

/** Wall time, CPU time (user + system, s) and peak RSS (MB) of one CLI command, from GNU time. */
function cliCommand(args: string[]): { s: number; cpu: number; mb: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`cli ${args.join(' ')}: ${r.stderr}`);
  const [user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { s: Number(process.hrtime.bigint() - t) / 1e9, cpu: user + sys, mb: kb / 1024 };
}

/** Wall and CPU seconds of `f` in this process (the machines here are shared: CPU time is the steadier figure). */
function timed<T>(f: () => T): { value: T; s: number; cpu: number } {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(c);
  return { value, s: Number(process.hrtime.bigint() - t) / 1e9, cpu: (used.user + used.system) / 1e6 };
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/**
 * Trace files at scale (default 10 M events, BENCH_TRACE_EVENTS to change): a synthetic
 * trace with every kind, saved and loaded (MB/s, memory per event), then summarised,
 * exported and opened by the CLI as a user would (time and peak memory).
 */
function traceFilesAtScale(): void {
  const events = Number(process.env.BENCH_TRACE_EVENTS || 10_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trace-'));
  const file = path.join(dir, 'big.ctrace');
  try {
    global.gc?.();
    const rss0 = rssMb();
    const built = timed(() => syntheticStore({ events }));
    const store = built.value;
    global.gc?.();
    const n = store.length;
    const perEvent = ((rssMb() - rss0) * 2 ** 20) / n;
    const saved = timed(() => writeTrace(file, store));
    const bytes = saved.value;
    console.log(`trace file       ${(n / 1e6).toFixed(1)} M events (synthetic, built in ${built.s.toFixed(1)} s) · in memory ${perEvent.toFixed(0)} B/event (RSS; columns ${(store.columnBytes() / n).toFixed(0)}) · file ${(bytes / 1e6).toFixed(0)} MB (${(bytes / n).toFixed(1)} B/event)`);
    const loaded = timed(() => readTrace(file));
    const back = loaded.value;
    if (back.length !== n) throw new Error('trace did not read back');
    console.log(`trace save/load  save ${(bytes / 1e6 / saved.s).toFixed(0)} MB/s (${saved.s.toFixed(1)} s, CPU ${saved.cpu.toFixed(1)} s) · load and validate ${(bytes / 1e6 / loaded.s).toFixed(0)} MB/s (${loaded.s.toFixed(1)} s, CPU ${loaded.cpu.toFixed(1)} s)`);
    const summarised = timed(() => buildSummary(back, findings(back)));
    console.log(`summary (lib)    ${summarised.s.toFixed(1)} s (CPU ${summarised.cpu.toFixed(1)} s) for ${(n / 1e6).toFixed(1)} M events`);
    const exported = timed(() => writeChromeTrace(path.join(dir, 'lib.json'), back));
    console.log(`export (lib)     ${exported.s.toFixed(1)} s (CPU ${exported.cpu.toFixed(1)} s) · ${(fs.statSync(path.join(dir, 'lib.json')).size / 1e6).toFixed(0)} MB of JSON, streamed`);
    fs.rmSync(path.join(dir, 'lib.json'));
  } finally {
    global.gc?.();
  }
  try {
    const size = fs.statSync(file).size;
    const summary = cliCommand(['summary', file]);
    const exported = cliCommand(['export', '--format', 'chrome', file, '-o', path.join(dir, 'cli.json')]);
    const n = readTrace(file).length;
    console.log(`CLI at scale     summary ${summary.s.toFixed(1)} s (CPU ${summary.cpu.toFixed(1)} s), peak ${summary.mb.toFixed(0)} MB (${((summary.mb * 2 ** 20) / n).toFixed(0)} B/event) · export ${exported.s.toFixed(1)} s (CPU ${exported.cpu.toFixed(1)} s), peak ${exported.mb.toFixed(0)} MB · file ${(size / 1e6).toFixed(0)} MB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readTraceLength(file: string): number {
  return readTrace(file).length;
}

/**
 * Opt-in (BENCH_REAL_EVENTS=10000000): a real Python program that records that many
 * lock holds, traced by the CLI end to end: run time, peak memory of the CLI per
 * event while collecting, trace size, then summary and export.
 */
function realRunAtScale(): void {
  const events = Number(process.env.BENCH_REAL_EVENTS || 0);
  if (!events) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-real-'));
  const file = path.join(dir, 'real.ctrace');
  try {
    const run = cliCommand(['run', '--python', PYTHON, '--out', file, path.join(SCRIPTS, 'many_locks.py'), String(events)]);
    const n = readTraceLength(file);
    const summary = cliCommand(['summary', file]);
    const exported = cliCommand(['export', '--format', 'chrome', file, '-o', path.join(dir, 'real.json')]);
    console.log(`real run         ${(n / 1e6).toFixed(2)} M events traced in ${run.s.toFixed(0)} s (CLI CPU ${run.cpu.toFixed(0)} s), CLI peak ${run.mb.toFixed(0)} MB (${((run.mb * 2 ** 20) / n).toFixed(0)} B/event incl. Node itself) · file ${(fs.statSync(file).size / 1e6).toFixed(0)} MB · summary ${summary.s.toFixed(1)} s (CPU ${summary.cpu.toFixed(1)} s, peak ${summary.mb.toFixed(0)} MB) · export ${exported.s.toFixed(1)} s (CPU ${exported.cpu.toFixed(1)} s, peak ${exported.mb.toFixed(0)} MB, ${(fs.statSync(path.join(dir, 'real.json')).size / 1e6).toFixed(0)} MB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The CLI's own fixed cost: its CPU time (Node process only, from CONCURRENCY_TRACE_TIMINGS)
 * for a one-line script, and Node's bare start-up for comparison. On a 2-core machine running a
 * CPU-bound program, every ms of it is a ms of the whole process's time.
 */
function cliFixedCost(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
  const script = path.join(dir, 'one_line.py');
  fs.writeFileSync(script, 'x = 1\n');
  const cliCpu: number[] = [];
  const nodeCpu: number[] = [];
  for (let i = 0; i < Math.max(RUNS, 9); i++) {
    const r = spawnSync(process.execPath, [CLI, 'run', '--python', PYTHON, '--out', path.join(dir, 't.ctrace'), script], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CONCURRENCY_TRACE_TIMINGS: '1' }, encoding: 'utf8',
    });
    const m = /CLI CPU (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`CLI run of a one-line script failed (${r.status}): ${r.stderr}`);
    cliCpu.push(Number(m[1]));
    nodeCpu.push(command(process.execPath, ['-e', '0']).cpu);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${'one-line script'.padEnd(16)} CLI's own CPU ${median(cliCpu).toFixed(0)} ms (median of ${cliCpu.length}) · bare node start-up ${median(nodeCpu).toFixed(0)} ms`);
}

/** BENCH_ONLY=name,name runs only those sections (ratio, lock, collector, trace, real, load, analysis, races, idle, live, webview). */
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const want = (name: string): boolean => only.size === 0 || only.has(name);
console.log(`Concurrency Trace benchmarks · ${PYTHON} · ${os.cpus().length} cores · median of ${RUNS} runs`);
if (want('ratio')) {
  ratio('pool_cpu.py');
  ratio('lock_updates.py');
  cliFixedCost();
}
if (want('lock')) lockTable();
if (want('collector')) collectorAtScale(PYTHON, RUNS);
if (want('trace')) traceFilesAtScale();
if (want('real')) realRunAtScale();
if (want('load')) samplerUnderLoad(PYTHON, CLI);
if (want('analysis')) analysisThroughput();
// Thread data-race recording: python3 and, where present, the 3.12+ interpreters (sys.monitoring).
if (want('races')) pyStateCost([PYTHON, ...(process.env.BENCH_PYTHONS ?? '').split(':').filter((p) => p && fs.existsSync(p))], RUNS);
// Scale of collecting (sections that run programs and wait on them: after the others, one at a time),
// then the timeline at scale in headless Chromium (BENCH_WEBVIEW_EVENTS: sizes, default 200 000 and 1 M).
void (async () => {
  if (want('idle')) await idleCosts(PYTHON, CLI);
  if (want('live')) await liveView(PYTHON, RUNS);
  if (want('webview')) {
    const sizes = (process.env.BENCH_WEBVIEW_EVENTS || '200000,1000000').split(',').map(Number);
    await webviewScaleBench(sizes);
    // Where a frame goes, at the largest size whose frames are walked in the webview.
    const split = Math.max(...sizes.filter((n) => n <= 2_000_000));
    if (Number.isFinite(split)) await frameBreakdownBench(split, WIDTHS);
  }
})().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
