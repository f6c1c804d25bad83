/** The CLI and signals: it ends as the script ended, relays what is sent to it, and leaves nothing behind. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RUN_DIR_PREFIX, runDirParent, tempRoot } from '../../src/core/run/runDirs';
import { readTrace } from '../../src/core/trace/traceFile';
import { CLI, alive, cli, ownLines, scratch, startCli, until } from './cliHarness';
import { PYTHON, SCRIPTS } from './harness';

const tmp = scratch('cli-signals');
const DIE = path.join(SCRIPTS, 'cli_die_by_signal.py');
const WAIT = path.join(SCRIPTS, 'cli_wait_for_signal.py');
/** No core files from the signals that dump core, whatever the machine's limit. */
const NO_CORE = { env: { ...process.env } };

test('the CLI dies of the signal the script died of (the whole table, not 128)', () => {
  for (const sig of ['SIGHUP', 'SIGPIPE', 'SIGUSR1', 'SIGUSR2', 'SIGBUS', 'SIGTERM', 'SIGALRM', 'SIGABRT', 'SIGSEGV', 'SIGQUIT', 'SIGXCPU', 'SIGSYS'] as const) {
    const plain = spawnSync('prlimit', ['--core=0', PYTHON, DIE, sig]);
    const traced = spawnSync('prlimit', ['--core=0', process.execPath, CLI, 'run', '--python', PYTHON, '--out', path.join(tmp, `${sig}.ctrace`), DIE, sig], { cwd: tmp, ...NO_CORE });
    assert.equal(plain.signal, sig, `untraced ${sig}`);
    assert.equal(traced.signal, sig, `${sig}: status ${traced.status}, ${traced.stderr}`);
    assert.equal(traced.stdout.toString(), plain.stdout.toString());
    assert.equal(ownLines(traced.stderr).length, 1, `${sig}: ${traced.stderr}`);
    assert.equal(readTrace(path.join(tmp, `${sig}.ctrace`)).meta.signal, sig);
  }
  assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.startsWith('core')), [], 'no core file of the CLI');
});

test('SIGUSR1 sent to the CLI reaches the script and starts no Node inspector', async () => {
  // The script sends SIGUSR1 to its parent (the CLI) and exits 0 when it gets one itself.
  const r = cli(['run', '--out', path.join(tmp, 'usr1.ctrace'), WAIT, 'usr1'], { cwd: tmp, timeout: 60000 });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /got SIGUSR1/);
  assert.doesNotMatch(r.stderr.toString(), /Debugger listening|inspector/i);
});

test('SIGINT sent to the CLI alone reaches the script (KeyboardInterrupt), and the CLI ends as the script did', async () => {
  const run = startCli(['run', '--out', path.join(tmp, 'int.ctrace'), WAIT], tmp);
  await run.firstLine;
  // Right as the first line appears (the CLI may still be setting the run up: see the next test).
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.match(r.stderr.toString(), /KeyboardInterrupt/);
  const plain = spawnSync(PYTHON, ['-c', 'import os, signal; os.kill(os.getpid(), signal.SIGINT)']);
  assert.equal(r.signal, plain.signal, `exit ${r.status}`);
  assert.ok(fs.existsSync(path.join(tmp, 'int.ctrace')));
});

test('SIGINT that reaches the CLI as the script starts, before the run is set up, is passed on to the script\'s process: the CLI neither dies alone nor leaves the script running', () => {
  // The "interpreter" sends SIGINT to the CLI the moment it is started, waits for it to come back
  // (it is the script's process), then execs the real one. Until the relay listened from before
  // spawn(), that signal ended the CLI by its default action (no trace, no line of its own) while
  // the script ran on, left to the watchdog.
  const out = path.join(tmp, 'early.ctrace');
  const r = cli(['run', '--python', path.join(SCRIPTS, 'python_signalling_its_launcher.sh'), '--out', out, '-c', 'print("ran")'],
    { cwd: tmp, env: { CT_TEST_REAL_PYTHON: PYTHON } });
  const how = `CLI ${r.status} ${r.signal}, stdout ${r.stdout}, stderr ${r.stderr}`;
  assert.match(r.stderr.toString(), /^launcher: SIGINT passed on$/m, how);
  assert.ok(ownLines(r.stderr).some((l) => l.includes(`trace saved to ${out}`)), `the CLI saw the run to its end: ${how}`);
  assert.equal(r.stdout.toString(), 'ran\n', how);
  // The CLI ends as the script did: it ran to its end.
  const { meta } = readTrace(out);
  assert.equal(meta.exitCode, 0, how);
  assert.equal(r.signal, null, how);
  assert.equal(r.status, 0, how);
});

test('SIGINT to the CLI\'s process group reaches the script once, not twice', async () => {
  // Without a terminal the script has a session of its own, so a group signal to the CLI's group is relayed once.
  const run = startCli(['run', '--out', path.join(tmp, 'group.ctrace'), '-c',
    // The script waits for the first SIGINT however late the relay is (a loaded machine), then 1 s
    // more for a second one, which a doubled relay sends right after the first.
    'import signal, sys, time\nn = []\nsignal.signal(signal.SIGINT, lambda *a: n.append(1))\nprint("ready", flush=True)\n'
    + 'for _ in range(600):\n    if n:\n        break\n    time.sleep(0.05)\ntime.sleep(1)\nprint("got", len(n))\n'], tmp);
  await run.firstLine;
  process.kill(run.child.pid!, 'SIGINT');
  const r = await run.done;
  assert.match(r.stdout.toString(), /got 1\n/);
  assert.equal(r.status, 0);
});

function runDirsNow(): Set<string> {
  const root = runDirParent()?.dir ?? tempRoot();
  return new Set(fs.readdirSync(root).filter((n) => n.startsWith(RUN_DIR_PREFIX)));
}

test('SIGQUIT of the CLI ends the script and what it left running, removes the run directory, still saves the trace', async () => {
  const out = path.join(tmp, 'quit.ctrace');
  const run = startCli(['run', '--out', out, WAIT, 'child'], tmp);
  const [pid, child, runDir] = (await run.firstLine).split(' ');
  assert.ok(alive(Number(pid)) && alive(Number(child)) && fs.existsSync(runDir));
  run.child.kill('SIGQUIT');
  const r = await run.done;
  assert.equal(r.signal, 'SIGQUIT', `${r.status} ${r.stderr}`);
  assert.ok(await until(() => !alive(Number(pid)) && !alive(Number(child)), 5000), 'no process of the run left');
  assert.ok(!fs.existsSync(runDir), 'run directory removed');
  assert.ok(readTrace(out).processes.length >= 2);
});

test('SIGKILL of the CLI leaves neither the Python tree running nor the run directory behind', async () => {
  const before = runDirsNow();
  const run = startCli(['run', '--out', path.join(tmp, 'kill.ctrace'), WAIT, 'child'], tmp);
  const [pid, child, runDir] = (await run.firstLine).split(' ');
  assert.ok(alive(Number(pid)) && alive(Number(child)));
  assert.ok(runDirsNow().has(path.basename(runDir)) && !before.has(path.basename(runDir)));
  run.child.kill('SIGKILL');
  await run.done;
  assert.ok(await until(() => !alive(Number(pid)) && !alive(Number(child)) && !fs.existsSync(runDir), 30000),
    `script ${alive(Number(pid))}, child ${alive(Number(child))}, run dir ${fs.existsSync(runDir)}`);
});
