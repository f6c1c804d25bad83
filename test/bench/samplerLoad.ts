/**
 * The sampler's interval under load: a program of BENCH_HOGS (default 16) processes spinning
 * on the CPU for 4 s, traced by the CLI; the stretches between consecutive core samples
 * (one per sample) in the saved trace, median, 95th percentile and longest, against the
 * 50 ms asked for. BENCH_BASELINE_CLI (another build's dist/cli.js) runs side by side.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE_CORE, SAMPLE_CPU } from '../../src/core/recordKinds';
import { readTrace } from '../../src/core/traceFile';

const SCRIPTS = path.join(__dirname, 'scripts');

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

interface LoadFigure {
  /** Between consecutive samples (core rows). */
  intervalsMs: number[];
  /** Between consecutive rows of each spinning thread. */
  threadIntervalsMs: number[];
  processRows: number;
}

function underLoad(python: string, cli: string, hogs: number, seconds: number): LoadFigure {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
  try {
    const out = path.join(dir, 'load.ctrace');
    const r = spawnSync(process.execPath, [cli, 'run', '--python', python, '--out', out, path.join(SCRIPTS, 'cpu_hogs.py'), String(hogs), String(seconds)], {
      encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.status !== 0) throw new Error(`cpu_hogs.py traced: ${r.stderr}`);
    const store = readTrace(out);
    const times = new Set<number>();
    const byThread = new Map<number, number[]>();
    let processRows = 0;
    for (let i = 0; i < store.length; i++) {
      if (store.kind[i] === SAMPLE_CORE) times.add(store.ts[i]);
      else if (store.kind[i] === SAMPLE_CPU && store.thread[i] === -1) processRows++;
      else if (store.kind[i] === SAMPLE_CPU) {
        let list = byThread.get(store.thread[i]);
        if (!list) byThread.set(store.thread[i], (list = []));
        list.push(store.ts[i]);
      }
    }
    const deltas = (xs: number[]): number[] => {
      const ts = [...xs].sort((a, b) => a - b);
      return ts.slice(1).map((t, i) => (t - ts[i]) / 1e6);
    };
    // The spinning workers' main threads: those with rows over most of the run.
    const threadIntervalsMs = [...byThread.values()].filter((ts) => ts.length >= 10).flatMap(deltas);
    return { intervalsMs: deltas([...times]), threadIntervalsMs, processRows };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function samplerUnderLoad(python: string, cli: string): void {
  const hogs = Number(process.env.BENCH_HOGS || 16);
  const seconds = 4;
  const builds: [string, string][] = [['this build', cli]];
  if (process.env.BENCH_BASELINE_CLI) builds.push(['baseline', process.env.BENCH_BASELINE_CLI]);
  for (const [name, file] of builds) {
    const f = underLoad(python, file, hogs, seconds);
    const i = f.intervalsMs;
    const t = f.threadIntervalsMs;
    console.log(`sampler (${name.padEnd(10)}) ${hogs} spinning processes on ${os.cpus().length} cores for ${seconds} s: interval median ${quantile(i, 0.5).toFixed(0)} ms, `
      + `p95 ${quantile(i, 0.95).toFixed(0)} ms, longest ${Math.max(...i).toFixed(0)} ms (asked 50; ${i.length + 1} samples) · per spinning thread median ${quantile(t, 0.5).toFixed(0)} ms, `
      + `p95 ${quantile(t, 0.95).toFixed(0)} ms · ${f.processRows} process rows`);
  }
}
