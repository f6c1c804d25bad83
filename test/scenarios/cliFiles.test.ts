/** Where `run` saves the trace: checked before the script runs, never lost after it ran, nothing left behind. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/core/trace/traceFile';
import { CLI, canUnshare, cli, ownLines, scratch } from './cliHarness';
import { PYTHON, SCRIPTS } from './harness';

const tmp = scratch('cli-files');
const cache = path.join(tmp, 'xdg-cache');
const env = { XDG_CACHE_HOME: cache };
const MANY = path.join(SCRIPTS, 'cli_many_events.py');
/** A script that leaves a mark when it runs, so a test can tell it never started. */
const marker = path.join(tmp, 'ran');
const MARKING = ['-c', `open(${JSON.stringify(marker)}, "w").close()`];

function refusedBeforeRunning(out: string, message: RegExp): void {
  fs.rmSync(marker, { force: true });
  const r = cli(['run', '--out', out, ...MARKING], { cwd: tmp, env });
  assert.equal(r.status, 2, r.stderr.toString());
  const lines = r.stderr.toString().trim().split('\n');
  assert.equal(lines.length, 1, r.stderr.toString());
  assert.match(lines[0], message);
  assert.ok(!fs.existsSync(marker), 'the script did not run');
}

test('--out into a missing folder, onto a folder or a device is refused before the script runs (one line, exit 2)', () => {
  refusedBeforeRunning(path.join(tmp, 'no', 'such', 'x.ctrace'), /cannot write .*x\.ctrace: folder .*no\/such does not exist/);
  fs.mkdirSync(path.join(tmp, 'adir'));
  refusedBeforeRunning(path.join(tmp, 'adir'), /cannot write .*adir: it is a folder/);
  refusedBeforeRunning('/dev/null', /cannot write \/dev\/null: it exists and is not a regular file/);
  fs.writeFileSync(path.join(tmp, 'afile'), '');
  refusedBeforeRunning(path.join(tmp, 'afile', 'x.ctrace'), /is not a folder/);
  assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.includes('.tmp')), []);
});

/** Runs `command` (a shell line) in a private mount namespace where $DIR is a fresh tmpfs mounted with `options`. */
function inTmpfs(options: string, command: string): { status: number | null; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(tmp, 'mnt-'));
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ${options} tmpfs "$DIR" && ${command}`], {
    encoding: 'utf8', timeout: 120000, cwd: tmp,
    env: { ...process.env, ...env, DIR: dir, NODE: process.execPath, CLI, CONCURRENCY_TRACE_PYTHON: PYTHON, MARKER: marker },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--out on a read-only file system or a full disk is refused before the script runs', { skip: !canUnshare && 'no mount namespaces here' }, () => {
  fs.rmSync(marker, { force: true });
  const ro = inTmpfs('ro,size=1m', '"$NODE" "$CLI" run --out "$DIR/x.ctrace" -c "open(\'$MARKER\', \'w\')"; echo "status $?"');
  assert.match(ro.stdout, /status 2/);
  assert.match(ro.stderr.trim(), /^concurrency-trace: cannot write .*x\.ctrace: read-only file system$/);
  const full = inTmpfs('size=64k', 'head -c 1m /dev/zero > "$DIR/fill" 2>/dev/null; "$NODE" "$CLI" run --out "$DIR/x.ctrace" -c "open(\'$MARKER\', \'w\')"; echo "status $?"; ls -A "$DIR"');
  assert.match(full.stdout, /status 2\nfill\n$/, 'nothing left but the filler');
  assert.match(full.stderr.trim(), /^concurrency-trace: cannot write .*x\.ctrace: no space left on the device$/);
  assert.ok(!fs.existsSync(marker), 'the script did not run');
});

test('a disk that fills up during the run: the script\'s exit code stays, the trace goes to a fallback place that is named, no temp file is left', { skip: !canUnshare && 'no mount namespaces here' }, () => {
  // 64 KiB: the 4 KiB check before the run passes; a trace of 20 000 lock holds (about 1 MB) does not fit.
  const r = inTmpfs('size=64k', `"$NODE" "$CLI" run --out "$DIR/x.ctrace" ${MANY} 20000 4; echo "status $?"; ls -A "$DIR"`);
  assert.match(r.stdout, /^status 4\n$/, `${r.stdout}\n${r.stderr}`);
  const lines = ownLines(r.stderr);
  assert.equal(lines.length, 2, r.stderr);
  const m = /^concurrency-trace: cannot write .*x\.ctrace: no space left on the device; the trace was saved to (\S+) instead$/.exec(lines[0]);
  assert.ok(m, lines[0]);
  assert.ok(m[1].startsWith(path.join(cache, 'concurrency-trace', 'traces')), m[1]);
  assert.match(lines[1], new RegExp(`trace saved to ${m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ events\\)`));
  assert.ok(readTrace(m[1]).length > 20000);
  assert.equal(fs.statSync(m[1]).mode & 0o777, 0o600);
});

test('a destination folder removed while the script runs: the exit code stays and the trace is saved elsewhere', () => {
  const dest = path.join(tmp, 'vanishing');
  fs.mkdirSync(dest);
  const r = cli(['run', '--out', path.join(dest, 'x.ctrace'), path.join(SCRIPTS, 'cli_remove_folder.py'), dest], { cwd: tmp, env });
  assert.equal(r.status, 3, r.stderr.toString());
  const m = /cannot write .*vanishing\/x\.ctrace: the folder does not exist; the trace was saved to (\S+) instead/.exec(r.stderr.toString());
  assert.ok(m, r.stderr.toString());
  assert.ok(readTrace(m[1]).processes.length >= 1);
});

test('the HTML report destination is checked before the run too', () => {
  fs.rmSync(marker, { force: true });
  const r = cli(['run', '--out', path.join(tmp, 'ok.ctrace'), '--html', path.join(tmp, 'nope', 'r.html'), ...MARKING], { cwd: tmp, env });
  assert.equal(r.status, 2);
  assert.match(r.stderr.toString(), /cannot write .*nope\/r\.html: folder .* does not exist/);
  assert.ok(!fs.existsSync(marker));
});

test('export and html refuse a destination they cannot write with one line', () => {
  const trace = path.join(tmp, 'small.ctrace');
  const r0 = cli(['run', '--out', trace, '-c', 'pass'], { cwd: tmp, env });
  assert.equal(r0.status, 0, r0.stderr.toString());
  for (const cmd of [['export', trace, '-o', path.join(tmp, 'none', 'x.json')], ['html', trace, '-o', tmp]]) {
    const r = cli(cmd, { cwd: tmp });
    assert.equal(r.status, 2, r.stderr.toString());
    assert.equal(r.stderr.toString().trim().split('\n').length, 1);
    assert.match(r.stderr.toString(), /cannot write/);
  }
});
