/**
 * "Run until it fails": races hide, so run the script again and again (up to
 * N times) and stop at the first run that fails — a non-zero exit (or death
 * by a signal), or a finding of the chosen kinds — keeping that run's trace.
 * Pure Node, shared by the extension's "Repeat Until Failure…" and the CLI's
 * `run --repeat N --until …`: how one run is made is the caller's (a LiveRun
 * in a terminal, a traceRun on the CLI's stdio).
 */
import { randomInt } from 'node:crypto';
import type { Finding, FindingKind } from '../analysis/finding';
import { kindWords } from '../live/findingState';
import type { TraceStore } from '../trace/traceStore';

/** When a run counts as failed. */
export interface RepeatCondition {
  /** A non-zero exit code, or death by a signal. */
  exit: boolean;
  /** Any finding of these kinds. */
  kinds: readonly FindingKind[];
}

/** What one run left behind (the caller makes it). */
export interface AttemptOutcome {
  exitCode: number | null;
  signal: string | null;
  store: TraceStore;
  /** Ended by the user (Stop, Ctrl-C on the repeat itself): not a failure, and the repeat ends. */
  cancelled?: boolean;
  /** The schedule perturbation seed the run had (PERTURB_ENV), if perturbed. */
  seed?: string;
  /** Ended by the caller because it ran too long (a hang): a failure, whatever the condition. */
  timedOut?: boolean;
}

export interface AttemptSummary {
  /** 1-based. */
  attempt: number;
  exitCode: number | null;
  signal: string | null;
  failed: boolean;
  /** Why it failed, in words ("exit code 1", "data race"). */
  reasons: string[];
  /** Findings of this run by kind (all kinds, chosen or not). */
  findingCounts: Partial<Record<FindingKind, number>>;
  events: number;
  durationMs: number;
  cancelled: boolean;
  /** The run's perturbation seed, if perturbed: the same seed makes the same decisions again. */
  seed?: string;
  /** Ended because it ran too long. */
  timedOut?: boolean;
}

export interface RepeatOptions {
  /** Most runs (≥ 1). */
  times: number;
  until: RepeatCondition;
  /** Makes run number `attempt` (1-based) and resolves when it is over. */
  runOnce: (attempt: number) => Promise<AttemptOutcome>;
  /** Told after every run. */
  onAttempt?: (summary: AttemptSummary) => void;
  /** Asked before each run after the first: true stops the repeat (the user cancelled). */
  cancelled?: () => boolean;
  /** The findings of a run (default: the analysis). */
  analyse?: (store: TraceStore) => Finding[];
}

export interface RepeatResult {
  runs: AttemptSummary[];
  /** The first failing run, with its trace and findings, if any failed. */
  failure?: { summary: AttemptSummary; outcome: AttemptOutcome; findings: Finding[] };
  failures: number;
  cancelled: boolean;
}

export const DEFAULT_REPEAT_TIMES = 20;
export const MAX_REPEAT_TIMES = 10000;

/**
 * Schedule perturbation (runtime perturb.py): set to a seed in the script's
 * environment, every Python process of the run switches threads every few
 * microseconds and pauses at traced operations, decided by that seed.
 */
export const PERTURB_ENV = 'CONCURRENCY_TRACE_PERTURB';

/** A fresh seed for a perturbed run: short enough to type again. */
export function newPerturbSeed(): string {
  return String(randomInt(1, 1_000_000_000));
}

/** A seed as the runtime takes it (a decimal integer 0 … 2^63 − 1, perturb.parse_seed), normalised; else undefined. */
export function parsePerturbSeed(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d{1,19}$/.test(t)) return undefined;
  const v = BigInt(t);
  return v < 1n << 63n ? v.toString() : undefined;
}

/** Whether a run failed under the condition, and why. */
export function judgeAttempt(outcome: AttemptOutcome, found: readonly Finding[], until: RepeatCondition): { failed: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (outcome.cancelled) return { failed: false, reasons };
  // Its exit is the caller's doing, not the program's.
  if (outcome.timedOut) reasons.push('timed out');
  else if (until.exit) {
    if (outcome.signal) reasons.push(`killed by ${outcome.signal}`);
    else if (outcome.exitCode !== 0 && outcome.exitCode !== null) reasons.push(`exit code ${outcome.exitCode}`);
  }
  const kinds = new Set(until.kinds);
  const seen = new Set<FindingKind>();
  for (const f of found) {
    if (kinds.has(f.kind) && !seen.has(f.kind)) {
      seen.add(f.kind);
      reasons.push(kindWords(f.kind));
    }
  }
  return { failed: reasons.length > 0, reasons };
}

export async function repeatRun(o: RepeatOptions): Promise<RepeatResult> {
  const times = Math.max(1, Math.min(MAX_REPEAT_TIMES, Math.floor(o.times)));
  // Loaded here, not at the top: the CLI's `run` imports this module for its flags and seeds, and
  // a plain run never analyses (the findings modules are a large part of the CLI's start-up).
  const analyse = o.analyse ?? (require('../analysis/findings') as typeof import('../analysis/findings')).findings;
  const result: RepeatResult = { runs: [], failures: 0, cancelled: false };
  for (let attempt = 1; attempt <= times; attempt++) {
    if (attempt > 1 && o.cancelled?.()) {
      result.cancelled = true;
      break;
    }
    const t0 = Date.now();
    const outcome = await o.runOnce(attempt);
    const found = outcome.cancelled ? [] : analyse(outcome.store);
    const { failed, reasons } = judgeAttempt(outcome, found, o.until);
    const findingCounts: Partial<Record<FindingKind, number>> = {};
    for (const f of found) findingCounts[f.kind] = (findingCounts[f.kind] ?? 0) + 1;
    const summary: AttemptSummary = {
      attempt, exitCode: outcome.exitCode, signal: outcome.signal, failed, reasons, findingCounts,
      events: outcome.store.length, durationMs: Date.now() - t0, cancelled: !!outcome.cancelled,
      ...(outcome.seed !== undefined ? { seed: outcome.seed } : {}),
      ...(outcome.timedOut ? { timedOut: true } : {}),
    };
    result.runs.push(summary);
    o.onAttempt?.(summary);
    if (outcome.cancelled) {
      result.cancelled = true;
      break;
    }
    if (failed) {
      result.failures++;
      result.failure = { summary, outcome, findings: found };
      break;
    }
  }
  return result;
}

/** One line per run: "run 3: exit 0, 2 300 events, 0.4 s — ok" / "run 4 (seed 81): … — FAILED: data race". */
export function describeAttempt(s: AttemptSummary): string {
  const how = s.cancelled ? 'stopped' : s.timedOut ? 'timed out' : s.signal ? `killed by ${s.signal}` : `exit ${s.exitCode ?? '?'}`;
  const found = Object.entries(s.findingCounts).map(([k, n]) => `${n} ${kindWords(k)}`).join(', ');
  const verdict = s.cancelled ? 'stopped' : s.failed ? `FAILED: ${s.reasons.join(', ')}` : 'ok';
  return `run ${s.attempt}${s.seed !== undefined ? ` (seed ${s.seed})` : ''}: ${how}, ${s.events} events, ${(s.durationMs / 1000).toFixed(1)} s${found ? `, findings: ${found}` : ''} — ${verdict}`;
}

/** The summary of all runs: how many ran, how many failed, and the first failure. */
export function describeRepeat(r: RepeatResult, times: number): string {
  const n = r.runs.length;
  const runs = `${n} run${n === 1 ? '' : 's'}`;
  if (r.failure) {
    const passed = n - r.failures;
    return `${runs} of up to ${times}: ${r.failures} failed (run ${r.failure.summary.attempt}: ${r.failure.summary.reasons.join(', ')}), ${passed} passed before it.`;
  }
  if (r.cancelled) return `${runs} of up to ${times}, stopped before any failed.`;
  return `${runs}: none failed.`;
}

/** The condition in words: "a non-zero exit or a deadlock or data race". */
export function describeCondition(until: RepeatCondition): string {
  const parts = [...(until.exit ? ['a non-zero exit'] : []), ...until.kinds.map(kindWords)];
  if (parts.length === 0) return 'nothing (every run passes)';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}
