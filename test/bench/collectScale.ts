/**
 * Collector ingest at scale: event files written by the real runtime (one
 * process, 4 threads, 1 M sleep spans), copied under other pids to make
 * BENCH_COLLECT_EVENTS (default 10 M) events, collected by a child process
 * as the CLI collects them (collectWorker.ts). Figures: events per second
 * (wall and per CPU second: the machines here are shared) and the host
 * memory per event (peak RSS growth while collecting; the store's columns
 * alone are ~52 bytes an event). BENCH_BASELINE_TREE (another checkout,
 * with its node_modules) runs that tree's collector side by side.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface WorkerResult {
  events: number;
  wallS: number;
  cpuS: number;
  rssBefore: number;
  peakRss: number;
  columnBytes: number;
}

/** One process's real event file of about `events` records (threads × spans), written by the runtime. */
function realEventFile(python: string, dir: string, events: number): string {
  const perThread = Math.ceil(events / 4);
  const code = [
    'import threading',
    'from concurrency_trace import writer',
    'def emit(n):',
    '    for i in range(n):',
    '        off = writer.begin(70, 0, 0, i)',
    '        writer.finish_time(off)',
    `ts = [threading.Thread(target=emit, args=(${perThread},)) for _ in range(4)]`,
    '[t.start() for t in ts]; [t.join() for t in ts]',
  ].join('\n');
  const env = { ...process.env, PYTHONPATH: path.join(__dirname, '../../src/runtime'), CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench' };
  execFileSync(python, ['-c', code], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ctev'));
  if (files.length !== 1) throw new Error(`expected one event file, found ${files.length}`);
  return path.join(dir, files[0]);
}

/** `copies` more files like `file`, each under a pid of its own (the header's pid field). */
function copyUnderOtherPids(file: string, copies: number): void {
  const data = fs.readFileSync(file);
  for (let i = 1; i <= copies; i++) {
    data.writeBigInt64LE(BigInt(4_000_000 + i), 16);
    fs.writeFileSync(path.join(path.dirname(file), `p${4_000_000 + i}-copy.ctev`), data, { mode: 0o600 });
  }
}

function collectOnce(dir: string, epoch: bigint, tree?: string): WorkerResult {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'collectWorker.ts'), dir, 'bench', String(epoch), ...(tree ? [tree] : [])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: path.join(__dirname, '../..'),
  });
  if (r.status !== 0) throw new Error(`collector worker: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as WorkerResult;
}

export function collectorAtScale(python: string, runs: number): void {
  const events = Number(process.env.BENCH_COLLECT_EVENTS || 10_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-collect-'));
  try {
    const epoch = process.hrtime.bigint();
    const perFile = Math.min(events, 1_000_000);
    const file = realEventFile(python, dir, perFile);
    copyUnderOtherPids(file, Math.max(0, Math.round(events / perFile) - 1));
    // Alternating with the baseline tree's collector where one is given (BENCH_BASELINE_TREE).
    const builds: [string, string | undefined][] = [['this build', undefined]];
    if (process.env.BENCH_BASELINE_TREE) builds.push(['baseline', process.env.BENCH_BASELINE_TREE]);
    const results = builds.map((): WorkerResult[] => []);
    for (let i = 0; i < Math.max(1, Math.min(runs, 3)); i++) {
      builds.forEach(([, tree], b) => results[b].push(collectOnce(dir, epoch, tree)));
    }
    builds.forEach(([name], b) => {
      const rs = results[b];
      const n = rs[0].events;
      const wallRate = median(rs.map((r) => r.events / r.wallS));
      const cpuRate = median(rs.map((r) => r.events / r.cpuS));
      const perEvent = median(rs.map((r) => (r.peakRss - r.rssBefore) / r.events));
      console.log(`collector (${name.padEnd(10)}) ${(n / 1e6).toFixed(1)} M events (real event files, ${fs.readdirSync(dir).length} processes) · `
        + `${(wallRate / 1e6).toFixed(2)} M events/s (${(cpuRate / 1e6).toFixed(2)} M per CPU second; goal ≥ 5) · `
        + `host memory ${perEvent.toFixed(1)} B/event (peak RSS growth; goal ≤ 64; columns ${(rs[0].columnBytes / n).toFixed(1)})`);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
