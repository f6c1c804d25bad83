/**
 * One traced run from start to saved trace: launch, collect live, sample CPU,
 * and settle what only the end can tell (exit codes of every process).
 */
import type { StdioOptions } from 'node:child_process';
import * as os from 'node:os';
import { Collector } from './collector';
import { epochFromBigInt } from './eventFile';
import { launch, launchTarget, removeRunDir, targetArgs, type TracedRun } from './launcher';
import { runPlace } from '../merge/runPlace';
import { Sampler } from './sampler';
import { settleProcesses } from '../analysis/processes';
import { TraceStore } from '../trace/traceStore';
import { readUntracedNotes, type UntracedProcess } from './untracedNotes';

export interface TraceRunOptions {
  python: string;
  pythonVersion?: string;
  /** sys.executable of `python` (see LaunchOptions.pythonExecutable). */
  pythonExecutable?: string;
  /** The script as the user gave it (or module / code; see LaunchOptions). */
  script?: string;
  module?: string;
  code?: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /** Own process group for the script (see LaunchOptions.detached). */
  detached?: boolean;
  /** See LaunchOptions. */
  inheritFds?: number[];
  closeStdio?: number[];
  /** Keep store.updatedRows for a live view (default true; the CLI has none). */
  liveUpdates?: boolean;
  /**
   * Asked once the script's process has exited: true to end what is left of
   * the run (processes it started and left running) before the trace is settled.
   */
  endRemaining?: () => boolean;
  /** Collector poll interval (ms). */
  pollMs?: number;
  /** CPU sampling interval (ms); 0 turns sampling off. Default 50. */
  sampleMs?: number;
  /** Called once the run has started, with the live store (for live views). */
  onStart?: (run: TracedRun, store: TraceStore, collector: Collector) => void;
  onWarning?: (message: string) => void;
  /** Told as each step of the run is done (for `CONCURRENCY_TRACE_TIMINGS`). */
  onPhase?: (phase: RunPhase) => void;
}

/** Steps of a run, in order, for measuring its fixed costs. */
export type RunPhase = 'launched' | 'spawned' | 'exited' | 'sampler stopped' | 'collected' | 'settled' | 'cleaned up';

export interface TraceRunResult {
  store: TraceStore;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Processes the runtime did not trace, with the reason it left (see untracedNotes). */
  untraced: UntracedProcess[];
}

export async function traceRun(options: TraceRunOptions): Promise<TraceRunResult> {
  const store = new TraceStore();
  store.trackUpdates = options.liveUpdates ?? true;
  const phase = options.onPhase ?? ((): void => undefined);
  const run = launch(options);
  phase('launched');
  const collector = new Collector({
    dir: run.dir, token: run.token, epoch: epochFromBigInt(run.epochNs), store,
    intervalMs: options.pollMs, onWarning: options.onWarning,
  });
  store.meta = {
    exitCode: null, signal: null, argv: [options.python, ...targetArgs(launchTarget(options), options.args)],
    startedAt: new Date().toISOString(), python: options.pythonVersion ?? '',
  };
  // Host and clock of the run, so that traces of one program's parts can be combined (merge).
  Object.assign(store.meta, runPlace(run.epochNs, options.env ?? process.env));
  collector.start();
  const sampleMs = options.sampleMs ?? 50;
  const sampler = sampleMs > 0
    ? new Sampler({ store, epochNs: run.epochNs, intervalMs: sampleMs, pids: () => collector.livePids(), onWarning: options.onWarning })
    : undefined;
  sampler?.start();
  options.onStart?.(run, store, collector);
  phase('spawned');
  try {
    const { code, signal } = await run.exited;
    const exitTs = Number(process.hrtime.bigint() - run.epochNs);
    phase('exited');
    if (options.endRemaining?.()) await run.watchdog?.endRun();
    await sampler?.stop();
    phase('sampler stopped');
    collector.stop();
    phase('collected');
    store.meta.exitCode = code ?? (signal ? 128 + signalNumber(signal) : null);
    store.meta.signal = signal;
    settleProcesses(store, run.child.pid ?? 0, code, signal ? signalNumber(signal) : null);
    // Killed by a signal, the script wrote no exit record: it lived until the launcher saw it die
    // (a deadlock ended by Stop or --timeout lasted until then, not until the last event).
    const root = signal ? store.processByPid(run.child.pid ?? 0) : undefined;
    if (root && exitTs > root.endTs) root.endTs = exitTs;
    phase('settled');
    return { store, exitCode: code, signal, untraced: readUntracedNotes(run.dir) };
  } finally {
    await sampler?.stop();
    collector.stop();
    removeRunDir(run.dir);
    await run.watchdog?.release();
    phase('cleaned up');
  }
}

/** The number of a signal by name, from the platform's own table (every signal Node knows). */
export function signalNumber(signal: NodeJS.Signals): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 0;
}
