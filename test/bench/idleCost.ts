/**
 * What the CLI costs while the traced program does nothing: a program with
 * many processes (or threads) that all wait, idle. Measured on the CLI's own
 * process, from /proc: CPU seconds per second of wall time over a window
 * while the program is idle, and the descriptors it holds then.
 * BENCH_BASELINE_CLI (another build's dist/cli.js) is measured side by side.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPTS = path.join(__dirname, 'scripts');

/** utime + stime of a process, in seconds (CLK_TCK 100). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface IdleFigure {
  cpuPerS: number;
  fds: number;
}

/**
 * Runs `script args` traced by `cli`, waits for its "ready" line and
 * `settleMs` more (start-up events collected), then measures over `windowMs`.
 */
export async function idleCost(python: string, cli: string, script: string, args: string[], settleMs = 1500, windowMs = 3000): Promise<IdleFigure> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-idle-')), 'idle.ctrace');
  const child = spawn(process.execPath, [cli, 'run', '--python', python, '--out', out, path.join(SCRIPTS, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('ready')) resolve();
      });
      void exited.then((code) => reject(new Error(`${script} exited ${code} before it was ready: ${stderr}`)));
    });
    const pid = child.pid as number;
    await sleep(settleMs);
    const c0 = cpuSeconds(pid);
    const t0 = process.hrtime.bigint();
    await sleep(windowMs / 2);
    const fds = openFds(pid);
    await sleep(windowMs / 2);
    const c1 = cpuSeconds(pid);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const code = await exited;
    if (code !== 0) throw new Error(`${script}: CLI exited ${code}: ${stderr}`);
    return { cpuPerS: (c1 - c0) / s, fds };
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** The idle-cost rows of the table: this build, and BENCH_BASELINE_CLI where given. */
export async function idleCosts(python: string, cli: string): Promise<void> {
  const processes = Number(process.env.BENCH_IDLE_PROCESSES || 650);
  const threads = Number(process.env.BENCH_IDLE_THREADS || 3000);
  const idleS = 6;
  const builds: [string, string][] = [['this build', cli]];
  if (process.env.BENCH_BASELINE_CLI) builds.push(['baseline', process.env.BENCH_BASELINE_CLI]);
  for (const [name, file] of builds) {
    const p = await idleCost(python, file, 'idle_processes.py', [String(processes), String(idleS)]);
    const t = await idleCost(python, file, 'idle_threads.py', [String(threads), String(idleS)]);
    console.log(`idle (${name.padEnd(10)}) ${processes} waiting processes: CLI ${(100 * p.cpuPerS).toFixed(1)} % of a core, ${p.fds} descriptors · `
      + `${threads} waiting threads: CLI ${(100 * t.cpuPerS).toFixed(1)} % of a core (${(t.cpuPerS * 4).toFixed(2)} s CPU per 4 s), ${t.fds} descriptors`);
  }
}
