/**
 * Which Pythons are traced, and that no process runs untraced without a word:
 * the CLI's notes for children the runtime did not trace, and today's Pythons
 * (3.14, 3.15: test/pythons/setup.sh) traced rather than silently skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/core/trace/traceFile';
import { PYTHON, SCRIPTS } from './harness';

const CLI = path.join(__dirname, '../../dist/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-pyver-'));
const PY37 = '/root/.pyenv/versions/3.7.16/bin/python3.7';
const PYTHONS_CACHE = process.env.CT_PYTHONS_CACHE || path.join(os.homedir(), '.cache', 'ct-pythons');

function cli(args: string[], python = PYTHON): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CONCURRENCY_TRACE_PYTHON: python } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's notes, without the last line every run prints (where the trace went). */
function ctLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('concurrency-trace:') && !/^concurrency-trace: trace saved to /.test(l));
}

test('a child whose tracer cannot create its files runs untraced, and the CLI says so in one line', () => {
  const out = path.join(tmp, 'fsize.ctrace');
  const r = cli(['run', '--out', out, path.join(SCRIPTS, 'untraced_child.py'), 'fsize']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'limited child ran\nnormal child ran\n');
  const lines = ctLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^concurrency-trace: process \d+ was not traced: the tracer could not start \(OSError: .*File too large\)$/);
  // The script and its normal child are traced.
  const store = readTrace(out);
  assert.ok(store.processes.length >= 2, `processes: ${store.processes.length}`);
});

test('a Python 3.7 child runs untraced and the CLI names the reason', { skip: fs.existsSync(PY37) ? false : `${PY37} is not installed` }, () => {
  const r = cli(['run', '--out', path.join(tmp, 'py37.ctrace'), path.join(SCRIPTS, 'untraced_child.py'), PY37]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'old child ran\nnormal child ran\n');
  assert.deepEqual(ctLines(r.stderr).map((l) => l.replace(/\d+/, 'N')), ['concurrency-trace: process N was not traced: Python 3.7 is older than 3.8']);
});

for (const version of ['3.14', '3.15']) {
  const python = path.join(PYTHONS_CACHE, 'bin', `python${version}`);
  test(`Python ${version} is traced with no note (tested version)`, { skip: fs.existsSync(python) ? false : `${python} missing (test/pythons/setup.sh installs it)` }, () => {
    const out = path.join(tmp, `v${version}.ctrace`);
    const r = cli(['run', '--python', python, '--out', out, path.join(SCRIPTS, 'untraced_child.py'), 'fsize']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ctLines(r.stderr).length, 1, 'only the limited child is reported');
    const store = readTrace(out);
    assert.ok(store.meta.python.startsWith(`${version}.`), store.meta.python);
    assert.ok(store.processes.length >= 2, `processes: ${store.processes.length}`);
  });
}
