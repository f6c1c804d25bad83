/**
 * `concurrency-trace run --repeat N --until fail|finding[:kind,…]`: races
 * hide, so the script runs again and again (core/run/repeatRun, each run as
 * `run` alone makes it) until the first failing run, whose trace is kept at
 * --out. One line per run on stderr, a summary of all runs at the end, and
 * the exit status of the failing run. With --perturb each run has a seed of
 * its own (on its line), so that a failing schedule can be tried again.
 * --timeout SECONDS ends a run that takes longer (a hang) and counts it as
 * failed. Ctrl-C (or SIGTERM, SIGHUP, SIGQUIT) ends the run in progress as it would
 * end the script, and no further run starts; that run's trace is kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../core/analysis/finding';
import { findings as analyseTrace } from '../core/analysis/findings';
import { DestinationError, describeWriteError } from '../core/trace/safeFile';
import {
  describeAttempt, describeCondition, describeRepeat, newPerturbSeed, repeatRun, type AttemptOutcome, type RepeatResult,
} from '../core/run/repeatRun';
import { writeTrace } from '../core/trace/traceFile';
import { SaveStopped } from '../core/trace/traceSave';
import type { TraceStore } from '../core/trace/traceStore';
import { exitLikeSignal } from './exitStatus';
import { say } from './output';
import type { RepeatPlan } from './repeatFlags';
import { reopenStdinFile, repeatStdin, stdinKind } from './repeatStdin';
import { SaveGuard } from './saveGuard';
import { SignalRelay } from './signalRelay';
import { exitLike, saveReport, saveTrace, traceOnce, type RunSetup } from './tracedRun';

/** Signals that end the series (the run in progress gets them as the script would). */
const STOPPING: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
/** How many findings of the failing run are named on stderr. */
const NAMED_FINDINGS = 5;

/** `--keep-all`: the folder beside --out for every passing run's trace (`x.ctrace` → `x-runs/`). */
export function keepAllFolder(out: string): string {
  return `${out.replace(/\.ctrace$/i, '')}-runs`;
}

/** `run-007.ctrace`: numbered to sort in run order. */
export function keptRunName(attempt: number, times: number): string {
  return `run-${String(attempt).padStart(String(times).length, '0')}.ctrace`;
}

/** A run ended by --timeout: the status of `timeout(1)`. */
export const TIMED_OUT_STATUS = 124;

/** The exit status of a run that failed: its own, 124 when it timed out, or 1 when it exited 0 and failed by a finding. */
export function failureStatus(outcome: Pick<AttemptOutcome, 'exitCode' | 'timedOut'>): number {
  if (outcome.timedOut) return TIMED_OUT_STATUS;
  return outcome.exitCode === 0 || outcome.exitCode === null ? 1 : outcome.exitCode;
}

/** The --keep-all folder: made private if new; an existing one must be a folder of its own, not a symlink. */
function makeKeepFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DestinationError(`cannot make ${dir}: ${describeWriteError(dir, err)}`);
  }
  if (!fs.lstatSync(dir).isDirectory()) throw new DestinationError(`cannot keep traces in ${dir}: it is not a folder (a symlink or a file)`);
}

function keepRun(dir: string, name: string, store: TraceStore): void {
  const file = path.join(dir, name);
  try {
    writeTrace(file, store);
  } catch (err) {
    say(`could not keep this run's trace: ${describeWriteError(file, err)}`);
  }
}

function sayFindings(found: readonly Finding[]): void {
  for (const f of found.slice(0, NAMED_FINDINGS)) say(`  ${f.kind}: ${f.message}`);
  if (found.length > NAMED_FINDINGS) say(`  … and ${found.length - NAMED_FINDINGS} more`);
}

export async function cmdRepeat(setup: RunSetup, plan: RepeatPlan): Promise<number> {
  const stdin = repeatStdin(stdinKind(setup.startup.closedStdio.includes(0)));
  const keepDir = plan.keepAll ? keepAllFolder(setup.out) : undefined;
  if (keepDir) makeKeepFolder(keepDir);
  const { times, until } = plan;
  say(`up to ${times} run${times === 1 ? '' : 's'} until ${describeCondition(until)}`
    + `${plan.timeoutMs !== undefined ? ` or a run longer than ${plan.timeoutMs / 1000} s` : ''}`
    + `${setup.perturb ? `, schedule perturbed (${setup.perturb.seed !== undefined ? `seed ${setup.perturb.seed}` : 'a new seed each run'})` : ''}`
    + `${stdin === 'reopen' ? '; each run reads stdin from the start of its file' : ''}`);

  let stopSignal: NodeJS.Signals | undefined;
  const guard = new SaveGuard();
  const handlers = STOPPING.map((sig) => {
    const handler = (): void => {
      stopSignal ??= sig;
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  let last: AttemptOutcome | undefined;
  let result: RepeatResult;
  try {
    result = await repeatRun({
      times, until,
      cancelled: () => stopSignal !== undefined,
      runOnce: async () => {
        const seed = setup.perturb ? setup.perturb.seed ?? newPerturbSeed() : undefined;
        const fd = stdin === 'reopen' ? reopenStdinFile() : undefined;
        try {
          const r = await traceOnce(setup, { seed, stdin: fd, relay: new SignalRelay(setup.startup.terminalForeground), timeoutMs: plan.timeoutMs });
          last = {
            exitCode: r.exitCode, signal: r.signal, store: r.store, cancelled: stopSignal !== undefined,
            ...(seed !== undefined ? { seed } : {}), ...(r.timedOut ? { timedOut: true } : {}),
          };
          return last;
        } finally {
          if (fd !== undefined) fs.closeSync(fd);
        }
      },
      onAttempt: (s) => {
        say(describeAttempt(s));
        if (keepDir && last && !s.failed && !s.cancelled) keepRun(keepDir, keptRunName(s.attempt, times), last.store);
      },
    });
  } finally {
    // No gap: a signal from the series' end on is about saving its trace (SaveGuard), not a default action half-way.
    guard.arm();
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
  }
  try {
    return await endSeries(setup, plan, result, stopSignal, last, keepDir, guard);
  } catch (err) {
    if (!(err instanceof SaveStopped) || !guard.stopSignal) throw err;
    const sig = guard.stopSignal;
    say(`${sig}: stopped without saving the trace`);
    guard.disarm();
    exitLikeSignal(sig);
  } finally {
    guard.disarm();
  }
}

/** What the series ends with: its summary, the failing (or stopped) run's trace saved, the status. */
async function endSeries(
  setup: RunSetup, plan: RepeatPlan, result: RepeatResult, stopSignal: NodeJS.Signals | undefined, last: AttemptOutcome | undefined,
  keepDir: string | undefined, guard: SaveGuard,
): Promise<number> {
  const { times, until } = plan;
  const save = (store: TraceStore): Promise<string | undefined> => {
    guard.doing = `saving the trace (${store.length} events) to ${setup.out}`;
    return saveTrace(setup.out, store, () => guard.stopped);
  };
  say(describeRepeat(result, times));
  if (keepDir) say(`passing runs' traces kept in ${keepDir}`);

  if (result.failure) {
    const { outcome, summary, findings } = result.failure;
    // A hang: its deadlock, if the trace shows one, whatever kinds were chosen.
    const chosen = findings.filter((f) => until.kinds.includes(f.kind) || (outcome.timedOut && f.kind === 'deadlock'));
    if (chosen.length > 0) sayFindings(chosen);
    const saved = await save(outcome.store);
    if (saved) say(`trace of run ${summary.attempt} saved to ${saved} (${outcome.store.length} events)`);
    if (setup.html && saved) saveReport(setup.html, outcome.store);
    if (outcome.seed !== undefined) say(`run ${summary.attempt} had seed ${outcome.seed}: --perturb=${outcome.seed} makes the same scheduling decisions again`);
    if (outcome.signal && !outcome.timedOut) exitLikeSignal(outcome.signal as NodeJS.Signals);
    return failureStatus(outcome);
  }
  if (stopSignal !== undefined) {
    if (last?.cancelled) {
      // The run that was stopped (a hang the user gave up on, often): its trace shows where it stood.
      const found = analyseTrace(last.store).filter((f) => until.kinds.includes(f.kind) || f.kind === 'deadlock');
      if (found.length > 0) sayFindings(found);
      const saved = await save(last.store);
      if (saved) say(`trace of the stopped run saved to ${saved} (${last.store.length} events)`);
      return exitLike({ exitCode: last.exitCode, signal: last.signal as NodeJS.Signals | null });
    }
    exitLikeSignal(stopSignal);
  }
  if (!keepDir) say('no trace kept (only a failing run\'s is; --keep-all keeps every run\'s)');
  return 0;
}
