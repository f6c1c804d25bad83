/**
 * One traced run from start to saved trace: launch, collect live, sample CPU,
 * and settle what only the end can tell (exit codes of every process).
 */
import type { StdioOptions } from 'node:child_process';
import { Collector } from './collector';
import { epochFromBigInt } from './eventFile';
import { launch, removeRunDir, type TracedRun } from './launcher';
import { Sampler } from './sampler';
import { settleProcesses } from './analysis/processes';
import { TraceStore } from './traceStore';
import { readUntracedNotes, type UntracedProcess } from './untracedNotes';

export interface TraceRunOptions {
  python: string;
  pythonVersion?: string;
  script: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /** Own process group for the script (see LaunchOptions.detached). */
  detached?: boolean;
  /** Collector poll interval (ms). */
  pollMs?: number;
  /** CPU sampling interval (ms); 0 turns sampling off. Default 50. */
  sampleMs?: number;
  /** Called once the run has started, with the live store (for live views). */
  onStart?: (run: TracedRun, store: TraceStore, collector: Collector) => void;
  onWarning?: (message: string) => void;
}

export interface TraceRunResult {
  store: TraceStore;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Processes the runtime did not trace, with the reason it left (see untracedNotes). */
  untraced: UntracedProcess[];
}

export async function traceRun(options: TraceRunOptions): Promise<TraceRunResult> {
  const store = new TraceStore();
  const run = launch(options);
  const collector = new Collector({
    dir: run.dir, token: run.token, epoch: epochFromBigInt(run.epochNs), store,
    intervalMs: options.pollMs, onWarning: options.onWarning,
  });
  store.meta = {
    exitCode: null, signal: null, argv: [options.python, options.script, ...options.args],
    startedAt: new Date().toISOString(), python: options.pythonVersion ?? '',
  };
  collector.start();
  const sampleMs = options.sampleMs ?? 50;
  const sampler = sampleMs > 0
    ? new Sampler({ store, epochNs: run.epochNs, intervalMs: sampleMs, pids: () => collector.livePids(), onWarning: options.onWarning })
    : undefined;
  sampler?.start();
  options.onStart?.(run, store, collector);
  try {
    const { code, signal } = await run.exited;
    await sampler?.stop();
    collector.stop();
    store.meta.exitCode = code ?? (signal ? 128 + signalNumber(signal) : null);
    store.meta.signal = signal;
    settleProcesses(store, run.child.pid ?? 0, code, signal ? signalNumber(signal) : null);
    return { store, exitCode: code, signal, untraced: readUntracedNotes(run.dir) };
  } finally {
    await sampler?.stop();
    collector.stop();
    removeRunDir(run.dir);
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

export function signalNumber(signal: NodeJS.Signals): number {
  return SIGNALS[signal] ?? 0;
}
