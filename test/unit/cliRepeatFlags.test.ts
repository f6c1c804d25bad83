/** `run --repeat/--until/--keep-all/--perturb`: what is accepted, what is refused, and the words of a run's line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, parseFlags } from '../../src/cli/flags';
import { failureStatus, keepAllFolder, keptRunName } from '../../src/cli/repeatCommand';
import { DEFAULT_UNTIL_KINDS, RUN_FLAGS, parseUntil, perturbPlan, repeatPlan, timeoutPlan } from '../../src/cli/repeatFlags';
import { repeatStdin } from '../../src/cli/repeatStdin';
import { describeAttempt, parsePerturbSeed, type AttemptSummary } from '../../src/core/run/repeatRun';

const parse = (argv: string[]) => {
  const f = parseFlags(argv, RUN_FLAGS);
  return { flags: f, repeat: repeatPlan(f.values, f.switches), perturb: perturbPlan(f.values) };
};
const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message);

test('--repeat N with --until fail (the default), finding (the default kinds) or finding:KIND,KIND', () => {
  assert.deepEqual(parse(['--repeat', '50', 's.py', '--repeat', '3']).repeat, { times: 50, until: { exit: true, kinds: [] }, keepAll: false });
  assert.deepEqual(parse(['--repeat=7', '--until=finding', '--keep-all', 's.py']).repeat, { times: 7, until: { exit: false, kinds: [...DEFAULT_UNTIL_KINDS] }, keepAll: true });
  assert.deepEqual(DEFAULT_UNTIL_KINDS, ['deadlock', 'lock-order-inversion', 'data-race', 'uncaught-exception']);
  assert.deepEqual(parseUntil('finding:data-race, deadlock,data-race'), { exit: false, kinds: ['data-race', 'deadlock'] });
  assert.deepEqual(parse(['--repeat', '2', '-m', 'pkg', '--until', 'x']).flags.rest, ['--until', 'x'], 'after -m: the module\'s arguments');
  assert.equal(parse(['s.py']).repeat, undefined);
  assert.equal(parse(['--repeat', '2', '--timeout', '2.5', 's.py']).repeat?.timeoutMs, 2500);
});

test('--repeat, --until and --keep-all refuse what does not go together', () => {
  assert.throws(() => parse(['--repeat', '0', 's.py']), usage(/whole number from 1 to 10000/));
  assert.throws(() => parse(['--repeat', '10001', 's.py']), usage(/from 1 to 10000/));
  assert.throws(() => parse(['--repeat', '2.5', 's.py']), usage(/whole number/));
  assert.throws(() => parse(['--until', 'fail', 's.py']), usage(/--until needs --repeat N/));
  assert.throws(() => parse(['--keep-all', 's.py']), usage(/--keep-all needs --repeat N/));
  assert.throws(() => parse(['--repeat', '2', '--until', 'crash', 's.py']), usage(/--until takes fail, finding or finding:KIND/));
  assert.throws(() => parse(['--repeat', '2', '--until', 'finding:race', 's.py']), usage(/unknown finding kind "race".*data-race/));
  assert.throws(() => parse(['--repeat', '2', '--until', 'finding:', 's.py']), usage(/unknown finding kind ""/));
  for (const bad of ['0', '-1', 'x', '1e3', '86401']) assert.throws(() => parse(['--repeat', '2', '--timeout', bad, 's.py']), usage(/--timeout takes seconds/), bad);
});

test('--timeout SECONDS without --repeat is the one run\'s limit; it takes the same seconds as with it', () => {
  const one = parseFlags(['--timeout', '1.5', 's.py'], RUN_FLAGS);
  assert.equal(repeatPlan(one.values, one.switches), undefined);
  assert.equal(timeoutPlan(one.values), 1500);
  assert.equal(timeoutPlan(parseFlags(['s.py'], RUN_FLAGS).values), undefined);
  for (const bad of ['0', '-1', 'x', '1e3', '86401']) assert.throws(() => timeoutPlan(parseFlags(['--timeout', bad, 's.py'], RUN_FLAGS).values), usage(/--timeout takes seconds/), bad);
});

test('--perturb: a new seed per run, --perturb=SEED that seed; a seed is what the runtime accepts (0 … 2^63 − 1)', () => {
  assert.equal(parse(['s.py']).perturb, undefined);
  assert.deepEqual(parse(['--perturb', 's.py']).perturb, {});
  assert.deepEqual(parse(['--perturb', 's.py']).flags.rest, ['s.py'], '--perturb takes no separate value');
  assert.deepEqual(parse(['--perturb=0042', 's.py']).perturb, { seed: '42' });
  assert.deepEqual(parse([`--perturb=${(1n << 63n) - 1n}`, 's.py']).perturb, { seed: '9223372036854775807' });
  assert.throws(() => parse([`--perturb=${1n << 63n}`, 's.py']), usage(/--perturb=SEED takes a whole number/));
  assert.throws(() => parse(['--perturb=-1', 's.py']), usage(/--perturb=SEED/));
  assert.throws(() => parse(['--perturb=abc', 's.py']), usage(/--perturb=SEED/));
  assert.equal(parsePerturbSeed(' 7 '), '7');
  assert.equal(parsePerturbSeed('1e3'), undefined);
});

test('stdin of repeated runs: a terminal, /dev/null or a closed stdin as they are, a file reopened, a pipe refused', () => {
  assert.equal(repeatStdin('terminal'), 'inherit');
  assert.equal(repeatStdin('null'), 'inherit');
  assert.equal(repeatStdin('closed'), 'inherit');
  assert.equal(repeatStdin('file'), 'reopen');
  assert.throws(() => repeatStdin('once'), usage(/cannot give every run the same stdin from a pipe.*< \/dev\/null/));
});

test('a run’s line names its seed; kept traces are numbered in run order; a run failed only by a finding exits 1', () => {
  const s: AttemptSummary = { attempt: 7, exitCode: 1, signal: null, failed: true, reasons: ['exit code 1'], findingCounts: { 'data-race': 1 }, events: 731, durationMs: 420, cancelled: false, seed: '137302328' };
  assert.equal(describeAttempt(s), 'run 7 (seed 137302328): exit 1, 731 events, 0.4 s, findings: 1 data race — FAILED: exit code 1');
  assert.equal(describeAttempt({ ...s, seed: undefined, failed: false, exitCode: 0, findingCounts: {} }), 'run 7: exit 0, 731 events, 0.4 s — ok');
  assert.equal(keepAllFolder('/t/x.ctrace'), '/t/x-runs');
  assert.equal(keepAllFolder('/t/x.trace'), '/t/x.trace-runs');
  assert.equal(keptRunName(7, 50), 'run-07.ctrace');
  assert.equal(keptRunName(100, 100), 'run-100.ctrace');
  assert.equal(failureStatus({ exitCode: 3 }), 3);
  assert.equal(failureStatus({ exitCode: 0 }), 1);
  assert.equal(failureStatus({ exitCode: null, timedOut: true }), 124);
  assert.equal(describeAttempt({ ...s, seed: undefined, timedOut: true, exitCode: null, signal: 'SIGTERM', reasons: ['timed out'], findingCounts: {} }), 'run 7: timed out, 731 events, 0.4 s — FAILED: timed out');
});
