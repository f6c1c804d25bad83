/**
 * The flags of `run` that repeat and perturb a run, read into plain values:
 * `--repeat N`, `--until fail|finding[:kind,…]`, `--keep-all`,
 * `--timeout SECONDS`, `--perturb[=SEED]`. Pure, so that every accepted and refused spelling is
 * checked by unit tests.
 */
import { FINDING_KINDS, type FindingKind } from '../core/analysis/finding';
import { MAX_REPEAT_TIMES, parsePerturbSeed, type RepeatCondition } from '../core/run/repeatRun';
import { UsageError, type FlagSpec } from './flags';

export const RUN_FLAGS: FlagSpec = {
  withValue: ['--python', '--out', '--html', '--repeat', '--until', '--timeout'],
  switches: ['--no-race-detection', '--keep-all'],
  optionalValue: ['--perturb'],
  terminal: ['-m', '-c'],
  stopAtPositional: true,
};

/**
 * `--until finding` without kinds: the kinds that say the program is wrong
 * (not that it is slow): a deadlock, a lock-order inversion (a deadlock
 * waiting to happen), a data race, an exception that ended a thread or a
 * process's task while the program's exit code stayed 0.
 */
export const DEFAULT_UNTIL_KINDS: readonly FindingKind[] = ['deadlock', 'lock-order-inversion', 'data-race', 'uncaught-exception'];

export interface RepeatPlan {
  /** Most runs, 1 … MAX_REPEAT_TIMES. */
  times: number;
  until: RepeatCondition;
  /** Keep every run's trace (in a folder beside --out), not only the failing one's. */
  keepAll: boolean;
  /** `--timeout SECONDS`: a run still going after this long is ended and fails (a hang). */
  timeoutMs?: number;
}

/** The longest --timeout: a day. */
export const MAX_TIMEOUT_S = 86400;

/** `fail`, `finding`, `finding:data-race,deadlock`. */
export function parseUntil(text: string): RepeatCondition {
  if (text === 'fail') return { exit: true, kinds: [] };
  const m = /^finding(?::(.*))?$/s.exec(text);
  if (!m) throw new UsageError(`--until takes fail, finding or finding:KIND,KIND… (not ${JSON.stringify(text)})`);
  if (m[1] === undefined) return { exit: false, kinds: [...DEFAULT_UNTIL_KINDS] };
  const kinds: FindingKind[] = [];
  for (const word of m[1].split(',')) {
    const kind = FINDING_KINDS.find((k) => k === word.trim());
    if (!kind) throw new UsageError(`unknown finding kind ${JSON.stringify(word)} in --until (kinds: ${FINDING_KINDS.join(', ')})`);
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return { exit: false, kinds };
}

/** The repeat asked for by the flags, or undefined for one run; refuses what does not go together. */
export function repeatPlan(values: ReadonlyMap<string, string>, switches: ReadonlySet<string>): RepeatPlan | undefined {
  const repeat = values.get('--repeat');
  if (repeat === undefined) {
    if (values.has('--until')) throw new UsageError('--until needs --repeat N');
    if (switches.has('--keep-all')) throw new UsageError('--keep-all needs --repeat N');
    return undefined;
  }
  const timeoutMs = timeoutPlan(values);
  if (!/^\d+$/.test(repeat.trim()) || Number(repeat) < 1 || Number(repeat) > MAX_REPEAT_TIMES) {
    throw new UsageError(`--repeat takes a whole number from 1 to ${MAX_REPEAT_TIMES} (not ${JSON.stringify(repeat)})`);
  }
  return {
    times: Number(repeat), until: parseUntil(values.get('--until') ?? 'fail'), keepAll: switches.has('--keep-all'),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
}

/** `--timeout SECONDS` in milliseconds (one run or each of --repeat's), or undefined when not given. */
export function timeoutPlan(values: ReadonlyMap<string, string>): number | undefined {
  const timeout = values.get('--timeout');
  if (timeout === undefined) return undefined;
  const seconds = Number(timeout);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(timeout) || !(seconds > 0) || seconds > MAX_TIMEOUT_S) {
    throw new UsageError(`--timeout takes seconds, more than 0 and at most ${MAX_TIMEOUT_S} (not ${JSON.stringify(timeout)})`);
  }
  return Math.round(seconds * 1000);
}

/**
 * `--perturb`: undefined when not asked; `{}` for a fresh seed per run;
 * `{ seed }` for `--perturb=SEED` (every run that seed).
 */
export function perturbPlan(values: ReadonlyMap<string, string>): { seed?: string } | undefined {
  const text = values.get('--perturb');
  if (text === undefined) return undefined;
  if (text === '') return {};
  const seed = parsePerturbSeed(text);
  if (seed === undefined) throw new UsageError(`--perturb=SEED takes a whole number from 0 to 2^63-1 (not ${JSON.stringify(text)})`);
  return { seed };
}
