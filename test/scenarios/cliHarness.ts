/** The `concurrency-trace` command as users and CI call it: a real process (node dist/cli.js), real Python. */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON } from './harness';

/** The CLI under test (CONCURRENCY_TRACE_TEST_CLI: another build, e.g. to show a test failed before a fix). */
export const CLI = process.env.CONCURRENCY_TRACE_TEST_CLI || path.join(__dirname, '../../dist/cli.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** A fresh folder for one test file's outputs. */
export function scratch(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ct-${name}-`));
}

/** Runs the CLI to the end. */
export function cli(args: string[], opts: SpawnSyncOptions & { input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    timeout: 120000, ...opts, env: { CONCURRENCY_TRACE_PYTHON: PYTHON, ...process.env, ...opts.env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout as Buffer, stderr: r.stderr as Buffer };
}

/** Starts the CLI and resolves with its first line of stdout (scripts print when they are ready). */
export function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; firstLine: Promise<string>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { CONCURRENCY_TRACE_PYTHON: PYTHON, ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let resolveLine: (s: string) => void;
  const firstLine = new Promise<string>((r) => (resolveLine = r));
  child.stdout!.on('data', (d: Buffer) => {
    out.push(d);
    const text = Buffer.concat(out).toString();
    if (text.includes('\n')) resolveLine(text.split('\n')[0]);
  });
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) })));
  return { child, firstLine, done };
}

/** The CLI's own lines on stderr (each starts with "concurrency-trace: "). */
export function ownLines(stderr: Buffer | string): string[] {
  return stderr.toString().split('\n').filter((l) => l.startsWith('concurrency-trace: '));
}

/** stderr without the CLI's own lines: what the script wrote. */
export function scriptStderr(stderr: Buffer): string {
  return stderr.toString().split('\n').filter((l) => !l.startsWith('concurrency-trace: ')).join('\n');
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** Whether this machine lets us make private mount namespaces (for full-disk and read-only tests). */
export const canUnshare = spawnSync('unshare', ['-rm', 'true']).status === 0;
