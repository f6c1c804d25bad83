/**
 * `concurrency-trace run --repeat N --until … [--perturb[=SEED]]`: a real CLI
 * process running real scripts again and again — a lost update that
 * perturbation makes show up and whose seed makes it show up again, a data
 * race found on the first run, correct twins that run all N, stdin that can
 * or cannot be given to every run, and Ctrl-C ending the series.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { readTrace } from '../../src/core/trace/traceFile';
import { cli, ownLines, scratch, startCli } from './cliHarness';
import { SCRIPTS } from './harness';

const tmp = scratch('cli-repeat');
const LOST = path.join(SCRIPTS, 'repeat', 'lost_update.py');
const BANK = path.join(SCRIPTS, 'findings', 'bank_account.py');
const HANG = path.join(SCRIPTS, 'repeat', 'deadlock_hang.py');
const LOCK_ORDER = path.join(SCRIPTS, 'repeat', 'lock_order_loop.py');
const NULL_STDIN = { stdio: [fs.openSync('/dev/null', 'r'), 'pipe', 'pipe'] as ('pipe' | number)[] };

/** The per-run lines: attempt, seed, verdict. */
function runLines(stderr: Buffer): { attempt: number; seed?: string; line: string }[] {
  return ownLines(stderr).flatMap((line) => {
    const m = /^concurrency-trace: run (\d+)(?: \(seed (\d+)\))?: /.exec(line);
    return m ? [{ attempt: Number(m[1]), ...(m[2] ? { seed: m[2] } : {}), line }] : [];
  });
}

test('--repeat 50 --until fail --perturb finds the lost update, prints its seed, and --perturb=SEED fails again on run 1 with the same schedule', { timeout: 300000 }, () => {
  const out = path.join(tmp, 'lost.ctrace');
  const r = cli(['run', '--repeat', '50', '--until', 'fail', '--perturb', '--out', out, LOST, 'racy'], { cwd: tmp, ...NULL_STDIN });
  const runs = runLines(r.stderr);
  assert.equal(r.status, 1, r.stderr.toString());
  const failed = runs[runs.length - 1];
  assert.match(failed.line, /— FAILED: exit code 1$/);
  assert.ok(runs.slice(0, -1).every((x) => / — ok$/.test(x.line)), 'the series stops at the first failure');
  assert.ok(failed.seed, 'each perturbed run names its seed');
  assert.equal(new Set(runs.map((x) => x.seed)).size, runs.length, 'a new seed each run');
  assert.ok(ownLines(r.stderr).some((l) => l.includes(`${runs.length} run${runs.length === 1 ? '' : 's'} of up to 50: 1 failed (run ${failed.attempt}: exit code 1)`)), r.stderr.toString());
  assert.ok(ownLines(r.stderr).some((l) => l.includes(`--perturb=${failed.seed} makes the same scheduling decisions again`)));
  assert.equal(readTrace(out).meta.exitCode, 1, 'the failing run’s trace is kept');
  const intervals = r.stdout.toString().match(/switch interval \S+/g) ?? [];
  assert.equal(intervals.length, runs.length);
  const interval = intervals[intervals.length - 1];
  assert.notEqual(interval, 'switch interval 0.005', 'perturbed: a tiny switch interval');

  const again = cli(['run', '--repeat', '5', '--perturb=' + failed.seed!, '--out', path.join(tmp, 'again.ctrace'), LOST, 'racy'], { cwd: tmp, ...NULL_STDIN });
  const retried = runLines(again.stderr);
  assert.equal(again.status, 1, again.stderr.toString());
  assert.equal(retried.length, 1, 'fails on its first run');
  assert.equal(retried[0].seed, failed.seed);
  assert.match(retried[0].line, /FAILED: exit code 1$/);
  assert.equal(again.stdout.toString().match(/switch interval \S+/)?.[0], interval, 'the same seed, the same switch interval');
});

test('--until finding:data-race stops at run 1 on the bank account without a lock; its locked twin runs all N and exits 0', { timeout: 300000 }, () => {
  const out = path.join(tmp, 'bank.ctrace');
  const race = cli(['run', '--repeat', '5', '--until', 'finding:data-race', '--out', out, BANK, 'race'], { cwd: tmp, ...NULL_STDIN });
  assert.equal(race.status, 1, `exit 0 but a data race: status 1. ${race.stderr}`);
  const runs = runLines(race.stderr);
  assert.equal(runs.length, 1);
  assert.match(runs[0].line, /^concurrency-trace: run 1: exit 0, .* — FAILED: data race$/);
  assert.ok(ownLines(race.stderr).some((l) => /^concurrency-trace: {3}data-race: Data race on /.test(l)), race.stderr.toString());
  assert.ok(readTrace(out).meta.exitCode === 0);

  const lockedOut = path.join(tmp, 'bank-locked.ctrace');
  const locked = cli(['run', '--repeat', '3', '--until', 'finding:data-race', '--out', lockedOut, BANK, 'locked'], { cwd: tmp, ...NULL_STDIN });
  assert.equal(locked.status, 0, locked.stderr.toString());
  assert.deepEqual(runLines(locked.stderr).map((x) => x.attempt), [1, 2, 3]);
  assert.ok(ownLines(locked.stderr).includes('concurrency-trace: 3 runs: none failed.'));
  assert.equal(fs.existsSync(lockedOut), false, 'no failing run, no trace at --out');
});

test('a correct program, perturbed, runs all N and exits 0; --keep-all keeps every run’s trace beside --out', { timeout: 300000 }, () => {
  const out = path.join(tmp, 'locked.ctrace');
  const r = cli(['run', '--repeat', '4', '--perturb', '--keep-all', '--out', out, LOST, 'locked'], { cwd: tmp, ...NULL_STDIN });
  assert.equal(r.status, 0, r.stderr.toString());
  const runs = runLines(r.stderr);
  assert.deepEqual(runs.map((x) => x.attempt), [1, 2, 3, 4]);
  assert.ok(runs.every((x) => x.seed && / — ok$/.test(x.line)), r.stderr.toString());
  assert.equal((r.stdout.toString().match(/counter 800 of 800/g) ?? []).length, 4);
  assert.ok(ownLines(r.stderr).includes('concurrency-trace: 4 runs: none failed.'));
  const kept = path.join(tmp, 'locked-runs');
  assert.deepEqual(fs.readdirSync(kept).sort(), ['run-1.ctrace', 'run-2.ctrace', 'run-3.ctrace', 'run-4.ctrace']);
  assert.equal(readTrace(path.join(kept, 'run-4.ctrace')).meta.exitCode, 0);
  assert.equal(fs.existsSync(out), false);
  // A symlink planted where the folder goes is refused before any run, never written through.
  const elsewhere = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
  fs.symlinkSync(elsewhere, path.join(tmp, 'planted-runs'));
  const planted = cli(['run', '--repeat', '2', '--keep-all', '--out', path.join(tmp, 'planted.ctrace'), LOST, 'locked'], { cwd: tmp, ...NULL_STDIN });
  assert.equal(planted.status, 2, planted.stderr.toString());
  assert.equal(planted.stdout.toString(), '', 'no run');
  assert.deepEqual(fs.readdirSync(elsewhere), []);
});

test('run --timeout without --repeat: the hanging script is ended, its trace kept with the deadlock (lasting until the end), status 124', { timeout: 120000 }, () => {
  const out = path.join(tmp, 'hang-once.ctrace');
  const r = cli(['run', '--timeout', '2', '--out', out, HANG], { cwd: tmp, ...NULL_STDIN });
  assert.equal(r.status, 124, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'started\n');
  assert.ok(ownLines(r.stderr).some((l) => /^concurrency-trace: the script was still running after --timeout 2 s: it was ended/.test(l)), r.stderr.toString());
  const store = readTrace(out);
  const d = findings(store).filter((f) => f.kind === 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(d.map((f) => f.message)));
  assert.equal(d[0].details?.endedBy, 'SIGTERM (Stop)');
  // From the cycle (the barrier passed, well before 2 s) to the kill: not cut at the last event.
  assert.ok(Number(d[0].details?.lastedMs) >= 1000, `lasted ${d[0].details?.lastedMs} ms`);
});

test('--timeout ends a run that hangs and fails it (status 124), naming the deadlock its trace shows', { timeout: 120000 }, () => {
  const out = path.join(tmp, 'hang.ctrace');
  const t0 = Date.now();
  const r = cli(['run', '--repeat', '5', '--until', 'finding:data-race', '--timeout', '2', '--out', out, HANG], { cwd: tmp, ...NULL_STDIN });
  assert.equal(r.status, 124, r.stderr.toString());
  assert.ok(Date.now() - t0 < 60000);
  assert.equal(r.stdout.toString(), 'started\n', 'one run');
  const runs = runLines(r.stderr);
  assert.equal(runs.length, 1);
  assert.match(runs[0].line, /^concurrency-trace: run 1: timed out, .*1 deadlock.* — FAILED: timed out$/);
  assert.ok(ownLines(r.stderr).some((l) => /^concurrency-trace: {3}deadlock: Deadlock: /.test(l)), r.stderr.toString());
  assert.ok(ownLines(r.stderr).includes('concurrency-trace: 1 run of up to 5: 1 failed (run 1: timed out), 0 passed before it.'));
  assert.ok(fs.existsSync(out));
});

test('--perturb makes a lock-order deadlock that needs a switch between two acquires happen: a pause before each acquire', { timeout: 300000 }, () => {
  // Measured: 6 of 8 perturbed runs deadlock, 0 of 20 unperturbed; 10 runs all passing would be 0.25^10.
  const r = cli(['run', '--repeat', '10', '--timeout', '5', '--perturb', '--out', path.join(tmp, 'order.ctrace'), LOCK_ORDER], { cwd: tmp, ...NULL_STDIN });
  assert.equal(r.status, 124, r.stderr.toString());
  const runs = runLines(r.stderr);
  assert.match(runs[runs.length - 1].line, /timed out, .*1 deadlock.* — FAILED: timed out$/);
  assert.ok(ownLines(r.stderr).some((l) => /^concurrency-trace: {3}deadlock: Deadlock: .* waits for (a|b) /.test(l)), r.stderr.toString());
});

test('stdin: a file is read from its start by every run; a pipe is refused before any run', { timeout: 120000 }, () => {
  const input = path.join(tmp, 'input.txt');
  fs.writeFileSync(input, 'line one\nline two\n');
  const code = 'import sys; print(repr(sys.stdin.read()))';
  const fromFile = cli(['run', '--repeat', '3', '--out', path.join(tmp, 'stdin.ctrace'), '-c', code], { cwd: tmp, stdio: [fs.openSync(input, 'r'), 'pipe', 'pipe'] });
  assert.equal(fromFile.status, 0, fromFile.stderr.toString());
  assert.equal(fromFile.stdout.toString(), "'line one\\nline two\\n'\n".repeat(3));
  const piped = cli(['run', '--repeat', '3', '--out', path.join(tmp, 'piped.ctrace'), '-c', code], { cwd: tmp, input: 'data\n' });
  assert.equal(piped.status, 2);
  assert.equal(piped.stdout.toString(), '', 'no run');
  assert.match(ownLines(piped.stderr)[0], /--repeat cannot give every run the same stdin from a pipe/);
});

test('Ctrl-C (SIGINT to the CLI) ends the run in progress as it would end the script, and no further run starts', { timeout: 120000 }, async () => {
  const out = path.join(tmp, 'stopped.ctrace');
  const run = startCli(['run', '--repeat', '5', '--out', out, '-c', 'import time\nprint("ready", flush=True)\nfor _ in range(300):\n    time.sleep(0.1)\n'], tmp);
  await run.firstLine;
  // Short sleeps: on CPython 3.14+ a SIGINT landing between the print and a sleep is handled only
  // when that sleep returns (untraced too; README, Limits), which a 30 s sleep made a 30 s test.
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.signal, 'SIGINT', `status ${r.status}: ${r.stderr}`);
  assert.equal(r.stdout.toString(), 'ready\n', 'one run only');
  assert.match(r.stderr.toString(), /KeyboardInterrupt/);
  assert.ok(ownLines(r.stderr).some((l) => /^concurrency-trace: run 1: stopped, .* — stopped$/.test(l)), r.stderr.toString());
  assert.ok(ownLines(r.stderr).includes('concurrency-trace: 1 run of up to 5, stopped before any failed.'));
  assert.ok(ownLines(r.stderr).some((l) => l.startsWith(`concurrency-trace: trace of the stopped run saved to ${out}`)));
});
