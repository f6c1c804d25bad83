/**
 * One traced run of `concurrency-trace run` (alone or one of `--repeat`): its
 * flags checked before anything runs, the script run as `python …` would run
 * it — same argv, stdin/stdout/stderr, inherited descriptors, exit code and
 * signals — what tracing missed said on stderr, the trace saved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Collector } from '../core/run/collector';
import { LaunchError, NO_THREAD_RACE_ENV, checkPython, checkScript, type PythonInfo, type RunTarget } from '../core/run/launcher';
import { privateCacheDir } from '../core/setup/privateCache';
import { pythonSupport } from '../core/setup/pythonSupport';
import { tempRoot } from '../core/run/runDirs';
import { PERTURB_ENV } from '../core/run/repeatRun';
import { traceRun, type TraceRunResult } from '../core/run/runTrace';
import { DestinationError, checkDestination, describeWriteError } from '../core/trace/safeFile';
import { SaveStopped, writeTraceYielding } from '../core/trace/traceSave';
import type { TraceStore } from '../core/trace/traceStore';
import { describeUntraced } from '../core/run/untracedNotes';
import { exitLikeSignal } from './exitStatus';
import { UsageError, parseFlags } from './flags';
import { say } from './output';
import { RUN_FLAGS, perturbPlan, repeatPlan } from './repeatFlags';
import type { SignalRelay } from './signalRelay';
import type { StartupState } from './startupState';

function defaultPython(): string {
  return process.env.CONCURRENCY_TRACE_PYTHON || 'python3';
}

/** The trace's default name: the script's stem, the module's name, or python-c. */
function defaultTraceName(target: RunTarget): string {
  if ('module' in target) return `${target.module.replace(/[^\w.-]+/g, '_')}.ctrace`;
  if ('code' in target) return 'python-c.ctrace';
  return `${path.basename(target.script).replace(/\.pyw?$/i, '')}.ctrace`;
}

/**
 * Saves the trace where asked; if that fails now (the disk filled up, the
 * folder went away), in the private cache folder, else in the temp folder,
 * and says where. Returns the file written, or undefined if none could be.
 * The event loop gets a turn now and then (signals are answered meanwhile);
 * `stopped` true at one of them ends the save with SaveStopped, nothing written.
 */
export async function saveTrace(out: string, store: TraceStore, stopped: () => boolean = () => false): Promise<string | undefined> {
  try {
    await writeTraceYielding(out, store, stopped);
    return out;
  } catch (err) {
    if (!(err instanceof DestinationError)) throw err;
    const first = err.message;
    const name = `${path.basename(out, '.ctrace')}-${new Date().toISOString().replace(/[:.]/g, '-')}.ctrace`;
    const cache = privateCacheDir();
    const fallbacks = [cache && path.join(cache, 'traces'), tempRoot()].filter((d): d is string => !!d);
    for (const dir of fallbacks) {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = path.join(dir, name);
        await writeTraceYielding(file, store, stopped);
        say(`${first}; the trace was saved to ${file} instead`);
        return file;
      } catch (e) {
        if (e instanceof SaveStopped) throw e;
        // next place
      }
    }
    say(`${first}; no other place to save the trace could be written either`);
    return undefined;
  }
}

/** What `run` was asked to run, checked before anything runs. */
export interface RunSetup {
  target: RunTarget;
  args: string[];
  /** Where the trace goes (absolute). */
  out: string;
  html?: string;
  python: string;
  info: PythonInfo;
  startup: StartupState;
  noRaceDetection: boolean;
  /** `--perturb[=SEED]`: undefined when not asked; no seed: a fresh one per run. */
  perturb?: { seed?: string };
}

/** After a run's time is up, how long the script has after SIGTERM before SIGKILL. */
const TIMEOUT_GRACE_MS = 2000;

/**
 * One traced run, as `python …` would run it; what went wrong in tracing it is said on stderr.
 * timeoutMs: the script is sent SIGTERM once it has run that long (SIGKILL if it is still there
 * TIMEOUT_GRACE_MS later), and what it left running is ended too; `timedOut` says so.
 */
export async function traceOnce(
  setup: RunSetup,
  opts: { seed?: string; stdin?: number; relay: SignalRelay; timeoutMs?: number; onPhase?: (phase: string) => void; onScriptEnd?: () => void },
): Promise<TraceRunResult & { timedOut: boolean }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(setup.noRaceDetection ? NO_THREAD_RACE_ENV : {}) };
  // Perturbed only when asked on this command line, and then with the seed it prints.
  delete env[PERTURB_ENV];
  if (opts.seed !== undefined) env[PERTURB_ENV] = opts.seed;
  const { relay, stdin } = opts;
  const warnings = new Set<string>();
  let collector: Collector | undefined;
  let result: TraceRunResult;
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  const end = (pid: number): void => {
    timedOut = true;
    relay.endRemaining = true;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    timers.push(setTimeout(() => kill('SIGKILL'), TIMEOUT_GRACE_MS));
  };
  // Before the script exists: a signal sent to the CLI from then on is the script's (see SignalRelay).
  relay.arm();
  try {
    result = await traceRun({
      python: setup.python, pythonVersion: setup.info.version, pythonExecutable: setup.info.executable, ...setup.target, args: setup.args,
      stdio: stdin === undefined ? 'inherit' : [stdin, 'inherit', 'inherit'],
      env,
      // Without a terminal, the script gets a session of its own: a signal aimed at this
      // process's group (a CI runner, `timeout`) reaches the script once, relayed, not twice.
      detached: !setup.startup.hasTerminal,
      inheritFds: setup.startup.inheritedFds,
      closeStdio: setup.startup.closedStdio,
      liveUpdates: false,
      endRemaining: () => relay.endRemaining,
      onStart: (run, _store, c) => {
        collector = c;
        const pid = run.child.pid;
        if (!pid) return;
        relay.start(pid);
        if (opts.timeoutMs !== undefined) timers.push(setTimeout(() => end(pid), opts.timeoutMs));
      },
      onWarning: (m) => warnings.add(m),
      onPhase: (phase) => {
        if (phase === 'exited') {
          // Nothing to relay to any more; a signal from now on is about the saving (SaveGuard).
          relay.scriptEnded();
          opts.onScriptEnd?.();
        }
        opts.onPhase?.(phase);
      },
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    relay.stop();
  }
  // What is missing from the trace and why: one line each (the collector's problems() — processes
  // incomplete or untraced, from the tracer's status records — where this build's collector has it).
  const problems = collector && 'problems' in collector && typeof collector.problems === 'function' ? (collector.problems as () => string[])() : [];
  for (const p of problems) warnings.add(p);
  for (const w of warnings) say(`warning: ${w}`);
  // Never silently untraced: one line per reason the runtime left.
  for (const line of describeUntraced(result.untraced)) say(line);
  return { ...result, timedOut };
}

/** Writes the HTML report beside a saved trace; a failure is said, never fatal (the script's exit code wins). */
export function saveReport(html: string, store: TraceStore): void {
  try {
    // Loaded only when asked for (--html): the report module is large and most runs do not write one.
    const { writeHtmlReport } = require('../core/export/htmlReport') as typeof import('../core/export/htmlReport');
    writeHtmlReport(html, store);
    say(`report saved to ${html}`);
  } catch (err) {
    say(err instanceof DestinationError ? err.message : `could not write the HTML report: ${describeWriteError(html, err)}`);
  }
}

/** Ends like the script did: killed by the same signal (never returns), else its exit code. */
export function exitLike(result: { exitCode: number | null; signal: NodeJS.Signals | null }): number {
  if (result.signal) exitLikeSignal(result.signal);
  return result.exitCode ?? 1;
}

export function prepareRun(argv: string[], startup: StartupState): { setup: RunSetup; repeat: ReturnType<typeof repeatPlan> } {
  const flags = parseFlags(argv, RUN_FLAGS);
  let target: RunTarget;
  let args: string[];
  if (flags.values.has('-m')) {
    target = { module: flags.values.get('-m') as string };
    args = flags.rest;
  } else if (flags.values.has('-c')) {
    target = { code: flags.values.get('-c') as string };
    args = flags.rest;
  } else {
    const [script, ...rest] = flags.rest;
    if (!script) throw new UsageError('run needs a script, -m module or -c code');
    checkScript(script);
    // As typed: Python derives sys.argv[0] (and __file__ on 3.8) from it.
    target = { script };
    args = rest;
  }
  const repeat = repeatPlan(flags.values, flags.switches);
  const perturb = perturbPlan(flags.values);
  const out = path.resolve(flags.values.get('--out') ?? defaultTraceName(target));
  const html = flags.values.has('--html') ? path.resolve(flags.values.get('--html') as string) : undefined;
  // Before the script runs: a destination that cannot be written is known now, not after an hour.
  checkDestination(out);
  if (html) checkDestination(html);
  const python = flags.values.get('--python') ?? defaultPython();
  const info = checkPython(python);
  const support = pythonSupport(info, process.env);
  if (!support.trace) throw new LaunchError(`${support.note ?? `Python ${info.version} is not supported`} (${python})`);
  if (support.note) say(support.note);
  return {
    setup: { target, args, out, ...(html ? { html } : {}), python, info, startup, noRaceDetection: flags.switches.has('--no-race-detection'), ...(perturb ? { perturb } : {}) },
    repeat,
  };
}

