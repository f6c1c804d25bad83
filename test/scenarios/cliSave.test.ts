/**
 * Signals that reach the CLI after the script has ended, while it saves a large trace: the trace is
 * not lost to the first, a second SIGINT stops with nothing half-written, and the CLI's status is the
 * script's (or that of the signal that stopped it).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/core/trace/traceFile';
import { CLI, type CliResult, ownLines, scratch } from './cliHarness';
import { PYTHON, SCRIPTS } from './harness';

const tmp = scratch('cli-save');
const MANY = path.join(SCRIPTS, 'cli_many_lock_events.py');
/** Lock events of the script: a trace whose save takes about a second (half a second unloaded). */
const EVENTS = 3_000_000;

interface SavingRun {
  /** The script's run directory (it prints it as its last act). */
  runDir: Promise<string>;
  /** Resolves once the trace's temp file exists next to --out after the script's last line: the save has begun. */
  saving: Promise<void>;
  /** Resolves with the first line of the CLI's own on stderr that matches. */
  said: (re: RegExp) => Promise<string>;
  kill: (sig: NodeJS.Signals) => void;
  done: Promise<CliResult>;
}

/** The temp files of a save into `dir` (safeFile.ts: `.<name>.<random>.tmp`). */
function tempFiles(dir: string, name: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith(`.${name}.`) && n.endsWith('.tmp'));
}

/** Runs the CLI on the many-lock-events script, writing into a folder of its own (`dir`). */
function runSaving(dir: string, end: string, extra: string[] = []): SavingRun {
  fs.mkdirSync(dir);
  const out = path.join(dir, 'trace.ctrace');
  // Watching before the CLI starts: the save's temp file is seen the moment it is created.
  let afterScript = false;
  let onSaving: () => void = () => undefined;
  const saving = new Promise<void>((resolve) => (onSaving = resolve));
  const watcher = fs.watch(dir, (_event, name) => {
    if (afterScript && name && name.startsWith('.trace.ctrace.') && name.endsWith('.tmp')) onSaving();
  });
  const child = spawn(process.execPath, [CLI, 'run', '--out', out, ...extra, MANY, String(EVENTS), end], {
    cwd: dir, env: { ...process.env, CONCURRENCY_TRACE_PYTHON: PYTHON }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let onRunDir: (d: string) => void = () => undefined;
  const runDir = new Promise<string>((resolve) => (onRunDir = resolve));
  child.stdout.on('data', (d: Buffer) => {
    stdout.push(d);
    const text = Buffer.concat(stdout).toString();
    if (!afterScript && text.includes('\n')) {
      // The destination probe (before the run) is long gone: a temp file from now on is the save's.
      afterScript = true;
      onRunDir(text.split('\n')[0]);
      if (tempFiles(dir, 'trace.ctrace').length) onSaving();
    }
  });
  const waiting: { re: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr.on('data', (d: Buffer) => {
    stderr.push(d);
    const lines = ownLines(Buffer.concat(stderr));
    for (const w of waiting.splice(0)) {
      const line = lines.find((l) => w.re.test(l));
      if (line) w.resolve(line);
      else waiting.push(w);
    }
  });
  const said = (re: RegExp): Promise<string> => new Promise((resolve) => {
    const line = ownLines(Buffer.concat(stderr)).find((l) => re.test(l));
    if (line) resolve(line);
    else waiting.push({ re, resolve });
  });
  const done = new Promise<CliResult>((resolve) => child.on('close', (status, signal) => {
    watcher.close();
    // A line never said fails the test that waits for it (instead of leaving it pending).
    for (const w of waiting.splice(0)) w.resolve(`(the CLI ended, ${status} ${signal}, without saying ${w.re})`);
    resolve({ status, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
  }));
  return { runDir, saving, said, kill: (sig) => child.kill(sig), done };
}

test('a SIGINT that reaches the CLI while it saves is told on stderr, the trace is saved complete, the HTML report is skipped with how to write it, and the CLI exits with the script\'s status', async () => {
  const dir = path.join(tmp, 'int-once');
  const run = runSaving(dir, 'exit:3', ['--html', path.join(dir, 'report.html')]);
  await run.saving;
  run.kill('SIGINT');
  const r = await run.done;
  const how = `status ${r.status} ${r.signal}, stderr ${r.stderr}`;
  assert.equal(r.status, 3, how);
  const lines = ownLines(r.stderr);
  assert.ok(lines.some((l) => /SIGINT: the script has ended; saving the trace \(\d+ events\) to .*trace\.ctrace first; press Ctrl-C again to stop without saving/.test(l)), how);
  const store = readTrace(path.join(dir, 'trace.ctrace'));
  assert.ok(store.length >= EVENTS, `${store.length} events`);
  assert.equal(store.meta.exitCode, 3);
  assert.ok(lines.some((l) => l.includes(`trace saved to ${path.join(dir, 'trace.ctrace')} (${store.length} events)`)), how);
  assert.ok(lines.some((l) => l.includes(`the HTML report was not written (SIGINT); to write it: concurrency-trace html ${path.join(dir, 'trace.ctrace')} -o ${path.join(dir, 'report.html')}`)), how);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['trace.ctrace'], 'nothing else in the folder: no temp file, no report');
  assert.ok(!fs.existsSync(await run.runDir), 'run directory removed');
});

test('SIGTERM, or SIGHUP twice (a closed terminal), that reaches the CLI while it saves: the trace is finished, and the CLI ends as the script did (killed by its own signal, 128+N)', async () => {
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    const dir = path.join(tmp, `once-${sig}`);
    const run = runSaving(dir, 'signal:SIGUSR1');
    await run.saving;
    run.kill(sig);
    if (sig === 'SIGHUP') {
      assert.match(await run.said(/SIGHUP: the script has ended/), /SIGHUP: the script has ended/);
      run.kill(sig);
    }
    const r = await run.done;
    const how = `${sig}: status ${r.status} ${r.signal}, stderr ${r.stderr}`;
    assert.equal(r.signal, 'SIGUSR1', how);
    assert.ok(ownLines(r.stderr).some((l) => l.startsWith(`concurrency-trace: ${sig}: the script has ended; saving the trace`)
      && l.endsWith('send SIGINT or SIGTERM again to stop without saving')), how);
    const store = readTrace(path.join(dir, 'trace.ctrace'));
    assert.ok(store.length >= EVENTS, `${sig}: ${store.length} events`);
    assert.equal(store.meta.signal, 'SIGUSR1');
    assert.deepEqual(fs.readdirSync(dir), ['trace.ctrace'], `${sig}: no temp file left`);
    assert.ok(!fs.existsSync(await run.runDir), `${sig}: run directory removed`);
  }
});

test('two SIGINTs while the CLI saves: it stops without saving, leaves no file (not even a temp file) and no run directory, and dies of SIGINT', async () => {
  const dir = path.join(tmp, 'int-twice');
  const run = runSaving(dir, 'exit:0');
  await run.saving;
  run.kill('SIGINT');
  // The second once the first has been answered (two at once would be one signal for the kernel).
  assert.match(await run.said(/SIGINT: the script has ended/), /SIGINT: the script has ended/);
  run.kill('SIGINT');
  const r = await run.done;
  const how = `status ${r.status} ${r.signal}, stderr ${r.stderr}`;
  const plain = spawnSync(PYTHON, ['-c', 'import os, signal; os.kill(os.getpid(), signal.SIGINT)']);
  assert.equal(r.signal, plain.signal, how);
  assert.ok(ownLines(r.stderr).some((l) => l === 'concurrency-trace: SIGINT: stopped without saving the trace'), how);
  assert.ok(!ownLines(r.stderr).some((l) => l.includes('trace saved')), how);
  assert.deepEqual(fs.readdirSync(dir), [], 'no trace and no temp file');
  assert.ok(!fs.existsSync(await run.runDir), 'run directory removed');
});

test('SIGTERM after a SIGHUP while the CLI saves stops it: no file, no run directory, killed by SIGTERM (status 143)', async () => {
  const dir = path.join(tmp, 'hup-term');
  const run = runSaving(dir, 'exit:0');
  await run.saving;
  run.kill('SIGHUP');
  assert.match(await run.said(/SIGHUP: the script has ended/), /SIGHUP: the script has ended/);
  run.kill('SIGTERM');
  const r = await run.done;
  const how = `status ${r.status} ${r.signal}, stderr ${r.stderr}`;
  assert.equal(r.signal, 'SIGTERM', how);
  assert.ok(ownLines(r.stderr).includes('concurrency-trace: SIGTERM: stopped without saving the trace'), how);
  assert.deepEqual(fs.readdirSync(dir), [], 'no trace and no temp file');
  assert.ok(!fs.existsSync(await run.runDir), 'run directory removed');
});

test('two SIGINTs while the CLI writes the HTML report (the trace saved): the first is told, the second stops it with no report and no temp file left, and the CLI dies of SIGINT', async () => {
  const dir = path.join(tmp, 'report-int-twice');
  const html = path.join(dir, 'report.html');
  const run = runSaving(dir, 'exit:0', ['--html', html]);
  assert.match(await run.said(/trace saved to /), /trace saved to /);
  run.kill('SIGINT');
  const told = await run.said(/SIGINT: the script has ended/);
  assert.equal(told, `concurrency-trace: SIGINT: the script has ended; writing the HTML report to ${html} (the trace is saved) first; press Ctrl-C again to stop without the report`);
  run.kill('SIGINT');
  const r = await run.done;
  const how = `status ${r.status} ${r.signal}, stderr ${r.stderr}`;
  assert.equal(r.signal, 'SIGINT', how);
  const trace = path.join(dir, 'trace.ctrace');
  assert.ok(ownLines(r.stderr).includes(`concurrency-trace: SIGINT: stopped; the HTML report was not written (to write it: concurrency-trace html ${trace} -o ${html})`), how);
  assert.ok(readTrace(trace).length >= EVENTS);
  assert.deepEqual(fs.readdirSync(dir), ['trace.ctrace'], 'no report, no temp file');
  assert.ok(!fs.existsSync(await run.runDir), 'run directory removed');
});

test('SIGTERM while the CLI writes the HTML report (the trace saved): the report is given up at once, with how to write it, and the CLI exits with the script\'s status', async () => {
  const dir = path.join(tmp, 'report-term');
  const html = path.join(dir, 'report.html');
  const run = runSaving(dir, 'exit:4', ['--html', html]);
  assert.match(await run.said(/trace saved to /), /trace saved to /);
  run.kill('SIGTERM');
  const r = await run.done;
  const how = `status ${r.status} ${r.signal}, stderr ${r.stderr}`;
  assert.equal(r.status, 4, how);
  const trace = path.join(dir, 'trace.ctrace');
  assert.ok(ownLines(r.stderr).includes(`concurrency-trace: the HTML report was not written (SIGTERM); to write it: concurrency-trace html ${trace} -o ${html}`), how);
  assert.ok(readTrace(trace).length >= EVENTS);
  assert.deepEqual(fs.readdirSync(dir), ['trace.ctrace'], 'no report, no temp file');
});
