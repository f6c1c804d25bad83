/** `run` starts programs as `python` does: script, -m, -c; argv as typed; inherited descriptors; stdin from /dev/null. */
import assert from 'node:assert/strict';
import { spawnSync, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/core/trace/traceFile';
import { CLI, cli, ownLines, scratch, scriptStderr } from './cliHarness';
import { PYTHON, SCRIPTS } from './harness';

const tmp = scratch('cli-launch');
const WHAT = 'cli_what_it_got.py';
fs.copyFileSync(path.join(SCRIPTS, WHAT), path.join(tmp, WHAT));
fs.mkdirSync(path.join(tmp, 'pkg'));
fs.writeFileSync(path.join(tmp, 'pkg', '__init__.py'), '');
fs.copyFileSync(path.join(SCRIPTS, WHAT), path.join(tmp, 'pkg', 'what.py'));

/**
 * `python <args>` and `concurrency-trace run <args>` side by side, in the same folder with the same stdio.
 * What the script finds at fd 3 is left out unless `fd3` is asked for: the tracer's own files are the
 * runtime's business (rt-writer), what the launcher passes is tested below.
 */
function sideBySide(args: string[], stdio: () => StdioOptions = () => 'pipe', python = PYTHON, fd3 = false): { plain: string; traced: string; tracedErr: string; status: number | null } {
  const plain = spawnSync(python, args, { cwd: tmp, stdio: stdio(), encoding: 'utf8' });
  const traced = spawnSync(process.execPath, [CLI, 'run', '--python', python, '--out', path.join(tmp, 'side.ctrace'), ...args], { cwd: tmp, stdio: stdio(), encoding: 'utf8' });
  assert.equal(traced.status, plain.status, `${traced.stderr}`);
  const keep = (out: string): string => (fd3 ? out : out.replace(/^fd3 .*\n/m, ''));
  return { plain: keep(plain.stdout), traced: keep(traced.stdout), tracedErr: traced.stderr, status: traced.status };
}

test('sys.argv[0], __file__ and sys.path[0] are what `python script.py` gives: the path as typed', () => {
  for (const script of [WHAT, `./${WHAT}`, path.join(tmp, WHAT)]) {
    const r = sideBySide([script, 'a b', '-x']);
    assert.equal(r.traced, r.plain, script);
    assert.match(r.traced, new RegExp(`argv \\['${script.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}', 'a b', '-x'\\]`));
  }
});

test('__file__ on Python 3.8 is the path as typed too', { skip: !fs.existsSync('/root/.pyenv/versions/3.8.18/bin/python3.8') }, () => {
  const r = sideBySide([WHAT], () => 'pipe', '/root/.pyenv/versions/3.8.18/bin/python3.8');
  assert.equal(r.traced, r.plain);
  assert.match(r.traced, /file cli_what_it_got\.py\n/);
});

test('run -m module args: sys.argv, sys.path[0] and __main__ as python -m gives them', () => {
  const r = sideBySide(['-m', 'pkg.what', 'one', '--two']);
  assert.equal(r.traced, r.plain);
  assert.match(r.traced, /main __main__ pkg\.what/);
  assert.match(r.tracedErr, /trace saved to .*side\.ctrace/);
  const store = readTrace(path.join(tmp, 'side.ctrace'));
  assert.deepEqual(store.meta.argv.slice(1), ['-m', 'pkg.what', 'one', '--two']);
  assert.ok(store.processes.length >= 1 && store.length > 0, 'traced');
});

test('run -c code args: sys.argv and sys.path[0] as python -c gives them', () => {
  const code = fs.readFileSync(path.join(SCRIPTS, WHAT), 'utf8');
  const r = sideBySide(['-c', code, 'x', 'y']);
  assert.equal(r.traced, r.plain);
  assert.match(r.traced, /argv \['-c', 'x', 'y'\]/);
  // The default trace name says what ran.
  const d = cli(['run', '-c', 'pass'], { cwd: tmp });
  assert.equal(d.status, 0);
  assert.ok(fs.existsSync(path.join(tmp, 'python-c.ctrace')));
  const m = cli(['run', '-m', 'pkg.what'], { cwd: tmp });
  assert.equal(m.status, 0);
  assert.ok(fs.existsSync(path.join(tmp, 'pkg.what.ctrace')));
});

test('run -m with a missing module fails as python -m does', () => {
  const r = sideBySide(['-m', 'no_such_module_here']);
  assert.equal(r.status, 1);
});

test('run -m pytest runs one test traced, as `python -m pytest file::test` does', { skip: !fs.existsSync('/usr/bin/python3') }, () => {
  const has = spawnSync('/usr/bin/python3', ['-c', 'import pytest']);
  if (has.status !== 0) return;
  fs.writeFileSync(path.join(tmp, 'test_threads.py'), `import threading

def test_counter():
    lock = threading.Lock()
    n = [0]
    def work():
        for _ in range(100):
            with lock:
                n[0] += 1
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts: t.start()
    for t in ts: t.join()
    assert n[0] == 400

def test_other():
    assert False
`);
  const out = path.join(tmp, 'pytest.ctrace');
  const r = cli(['run', '--python', '/usr/bin/python3', '--out', out, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_threads.py::test_counter'], { cwd: tmp });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout.toString(), /1 passed/);
  const store = readTrace(out);
  assert.ok(store.threads.length >= 5, `${store.threads.length} threads`);
  const failing = cli(['run', '--python', '/usr/bin/python3', '--out', out, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_threads.py::test_other'], { cwd: tmp });
  assert.equal(failing.status, 1);
});

test('descriptors above 2 pass through to the script (`run s.py 3<file`)', () => {
  const input = path.join(tmp, 'in.txt');
  fs.writeFileSync(input, 'from fd 3');
  // A descriptor of its own for each run: they would share the file offset otherwise.
  const fds: number[] = [];
  const open = (): StdioOptions => {
    const fd = fs.openSync(input, 'r');
    fds.push(fd);
    return ['pipe', 'pipe', 'pipe', fd];
  };
  try {
    const r = sideBySide([WHAT], open, PYTHON, true);
    assert.equal(r.traced, r.plain);
    assert.match(r.traced, /fd3 b'from fd 3'/);
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
});

test('stdin from /dev/null opened read-write (subprocess.DEVNULL) stays /dev/null, as under python', () => {
  // CPython's own test runner and most tools run programs this way; a closed stdin (`<&-`) looks
  // the same to Node (it puts /dev/null there before any code runs) and is given /dev/null too.
  const run = (argv: string): string => spawnSync(PYTHON, ['-c', `import subprocess, sys; sys.stdout.write(subprocess.run(${argv}, stdin=subprocess.DEVNULL, capture_output=True, text=True).stdout)`], { cwd: tmp, encoding: 'utf8' }).stdout;
  const plain = run(`[${JSON.stringify(PYTHON)}, ${JSON.stringify(WHAT)}]`);
  const traced = run(`[${JSON.stringify(process.execPath)}, ${JSON.stringify(CLI)}, 'run', '--python', ${JSON.stringify(PYTHON)}, '--out', 'devnull.ctrace', ${JSON.stringify(WHAT)}]`);
  assert.match(plain, /stdin open/);
  assert.equal(traced, plain);
});

test('the trace line is the only thing the CLI adds to stderr, for -m too', () => {
  const r = cli(['run', '--out', path.join(tmp, 'm.ctrace'), '-m', 'pkg.what'], { cwd: tmp });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /main __main__ pkg\.what/);
  assert.equal(ownLines(r.stderr).length, 1);
  assert.equal(scriptStderr(r.stderr), '');
});

test('a relative TMPDIR: the run directory is absolute, so children started after os.chdir are traced', () => {
  fs.mkdirSync(path.join(tmp, 'reltmp'), { recursive: true });
  const out = path.join(tmp, 'reltmp.ctrace');
  const code = 'import multiprocessing as mp, os\ndef f():\n    pass\nif __name__ == "__main__":\n    os.chdir("/")\n    p = mp.get_context("spawn").Process(target=f)\n    p.start()\n    p.join()\n    print(os.path.isabs(os.environ["CONCURRENCY_TRACE_DIR"]))\n';
  fs.writeFileSync(path.join(tmp, 'chdir_child.py'), code);
  const r = cli(['run', '--out', out, 'chdir_child.py'], { cwd: tmp, env: { TMPDIR: 'reltmp' } });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'True\n');
  const pids = new Set(readTrace(out).processes.filter((p) => !p.internal).map((p) => p.pid));
  assert.ok(pids.size >= 2, `${pids.size} processes traced`);
});
