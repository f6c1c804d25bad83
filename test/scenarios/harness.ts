/** Runs real Python scripts through the real runtime and collector. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { K, kindInfo } from '../../src/core/trace/recordKinds';
import { traceRun } from '../../src/core/run/runTrace';
import type { TraceStore } from '../../src/core/trace/traceStore';

export const SCRIPTS = path.join(__dirname, 'scripts');
export const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';
export const START_METHODS = ['fork', 'spawn', 'forkserver'] as const;

export interface ScenarioResult {
  store: TraceStore;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export async function traceScript(script: string, args: string[] = [], opts: { python?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<ScenarioResult> {
  let stdout = '';
  let stderr = '';
  const result = await traceRun({
    python: opts.python ?? PYTHON,
    script: path.isAbsolute(script) ? script : path.join(SCRIPTS, script),
    args,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    onStart: (run) => {
      run.child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      run.child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      run.child.stdin?.end(opts.stdin ?? '');
    },
  });
  return { ...result, stdout, stderr };
}

/** The same script untraced, for byte-for-byte comparisons. */
export function runUntraced(script: string, args: string[] = [], python = PYTHON): { stdout: Buffer; stderr: Buffer; status: number | null } {
  try {
    const stdout = execFileSync(python, [path.join(SCRIPTS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { stdout, stderr: Buffer.alloc(0), status: 0 };
  } catch (err) {
    const e = err as { stdout: Buffer; stderr: Buffer; status: number | null };
    return { stdout: e.stdout, stderr: e.stderr, status: e.status };
  }
}

/** Rows of a record kind, by its events.py name. */
export function rows(store: TraceStore, record: keyof typeof K): number[] {
  return store.rowsOf(K[record]);
}

export function eventName(store: TraceStore, row: number): string {
  return kindInfo(store.kind[row])?.event ?? '?';
}

export function userProcesses(store: TraceStore): TraceStore['processes'] {
  return store.processes.filter((p) => !p.internal);
}

export function pythonHas(version: string): boolean {
  return fs.existsSync(version);
}
