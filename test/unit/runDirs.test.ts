import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RUN_DIR_PREFIX, createRunDir, prepareRunDirRoot, processStartTime, removeStaleRunDirs, runDirParent, tempRoot } from '../../src/core/run/runDirs';
import { Watchdog } from '../../src/core/run/watchdog';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

test('run directories are absolute even with a relative TMPDIR', () => {
  const saved = process.env.TMPDIR;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-reltmp-'));
  const cwd = process.cwd();
  try {
    process.chdir(base);
    fs.mkdirSync('rel');
    process.env.TMPDIR = 'rel';
    assert.equal(tempRoot(), path.join(fs.realpathSync(base), 'rel'));
    const dir = createRunDir();
    assert.ok(path.isAbsolute(dir), dir);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  } finally {
    process.chdir(cwd);
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});

test('a run directory whose launcher is gone is removed by the next run; a live one is kept', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-stale-'));
  const mine = createRunDir(root);
  // A launcher that has exited: its pid is no longer that process.
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const dead = fs.mkdtempSync(path.join(root, RUN_DIR_PREFIX));
  fs.writeFileSync(path.join(dead, 'owner'), `${gone.stdout.trim()} 12345\n`);
  fs.writeFileSync(path.join(dead, 'x.ctev'), 'events');
  // Our own pid but another start time: the pid was reused.
  const reused = fs.mkdtempSync(path.join(root, RUN_DIR_PREFIX));
  fs.writeFileSync(path.join(reused, 'owner'), `${process.pid} 1\n`);
  // Unmarked (an earlier build): stale only after a day.
  const unmarked = fs.mkdtempSync(path.join(root, RUN_DIR_PREFIX));
  const other = fs.mkdtempSync(path.join(root, 'something-else-'));
  // Written to just now: kept for a minute even with the owner gone (another pid namespace may own it).
  assert.deepEqual(removeStaleRunDirs(root), []);
  const removed = removeStaleRunDirs(root, Date.now() + 2 * 60 * 1000).sort();
  assert.deepEqual(removed, [dead, reused].sort());
  for (const d of [mine, unmarked, other]) assert.ok(fs.existsSync(d), d);
  assert.deepEqual(removeStaleRunDirs(root, Date.now() + 2 * 24 * 3600 * 1000), [unmarked]);
  assert.ok(processStartTime(process.pid));
});

test('run directories go into a private parent of this user, and later runs sweep only that parent', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-parent-'));
  // A left-over of an earlier build, straight in the temp folder, its launcher gone.
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const old = fs.mkdtempSync(path.join(root, RUN_DIR_PREFIX));
  fs.writeFileSync(path.join(old, 'owner'), `${gone.stdout.trim()} 12345\n`);
  const past = new Date(Date.now() - 10 * 60 * 1000);
  for (const p of [path.join(old, 'owner'), old]) fs.utimesSync(p, past, past);
  const first = prepareRunDirRoot(root);
  assert.equal(first, path.join(root, `concurrency-trace-${process.getuid!()}`));
  const st = fs.lstatSync(first);
  assert.ok(st.isDirectory() && (st.mode & 0o777) === 0o700, (st.mode & 0o777).toString(8));
  assert.ok(!fs.existsSync(old), 'the first run swept the temp folder once');
  const dir = createRunDir(first);
  assert.equal(path.dirname(dir), first);
  // Another stale one in the temp folder is no longer looked at; a stale one in the parent is removed.
  const later = fs.mkdtempSync(path.join(root, RUN_DIR_PREFIX));
  fs.writeFileSync(path.join(later, 'owner'), `${gone.stdout.trim()} 12345\n`);
  const stale = fs.mkdtempSync(path.join(first, RUN_DIR_PREFIX));
  fs.writeFileSync(path.join(stale, 'owner'), `${gone.stdout.trim()} 12345\n`);
  for (const d of [later, stale]) {
    fs.utimesSync(path.join(d, 'owner'), past, past);
    fs.utimesSync(d, past, past);
  }
  assert.equal(prepareRunDirRoot(root), first);
  assert.ok(fs.existsSync(later) && !fs.existsSync(stale) && fs.existsSync(dir));
  fs.rmSync(root, { recursive: true, force: true });
});

test('a parent that is a symlink or open to others is not used: run directories go into the temp folder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-parent-bad-'));
  const name = path.join(root, `concurrency-trace-${process.getuid!()}`);
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-parent-target-'));
  fs.chmodSync(target, 0o700);
  fs.symlinkSync(target, name);
  assert.equal(runDirParent(root), undefined);
  assert.equal(prepareRunDirRoot(root), root);
  fs.unlinkSync(name);
  fs.mkdirSync(name, { mode: 0o700 });
  fs.chmodSync(name, 0o733);
  assert.equal(runDirParent(root), undefined);
  assert.equal(fs.lstatSync(name).mode & 0o777, 0o733, 'never loosened or tightened: left alone');
  fs.chmodSync(name, 0o700);
  assert.deepEqual(runDirParent(root), { dir: name, created: false });
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(target, { recursive: true, force: true });
});

test('a symlink named like a run directory is never followed or removed', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-stale-link-'));
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-target-'));
  fs.writeFileSync(path.join(target, 'owner'), '1 0\n');
  fs.writeFileSync(path.join(target, 'precious'), 'x');
  fs.symlinkSync(target, path.join(root, `${RUN_DIR_PREFIX}link`));
  assert.deepEqual(removeStaleRunDirs(root), []);
  assert.ok(fs.existsSync(path.join(target, 'precious')));
});

test('the watchdog ends the run\'s processes and removes the run directory when its launcher dies', async () => {
  // The "launcher" is a Node process that starts a watchdog and a marked process tree, then is SIGKILLed.
  const dir = createRunDir();
  const token = 'feedfacecafebeef';
  const launcher = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { spawn } = require('node:child_process');
    const { Watchdog } = require(${JSON.stringify(path.join(__dirname, '../../src/core/run/watchdog.ts'))});
    new Watchdog(${JSON.stringify(PYTHON)}, ${JSON.stringify(dir)}, ${JSON.stringify(token)});
    // A parent that ignores SIGTERM and a grandchild that does not carry the token (found by descent).
    const tree = spawn(${JSON.stringify(PYTHON)}, ['-c', 'import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); c = subprocess.Popen(["sleep", "60"], env={}); print(c.pid, flush=True); time.sleep(60)'],
      { env: { ...process.env, CONCURRENCY_TRACE_TOKEN: ${JSON.stringify(token)} }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    tree.stdout.once('data', (d) => { console.log(tree.pid, String(d).trim()); });
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => launcher.stdout.once('data', (d) => resolve(String(d))));
  const [parent, grandchild] = line.trim().split(/\s+/).map(Number);
  assert.ok(alive(parent) && alive(grandchild));
  launcher.kill('SIGKILL');
  assert.ok(await until(() => !alive(parent) && !alive(grandchild) && !fs.existsSync(dir), 60000), 'processes and run directory gone');
});

test('a released watchdog leaves everything alone', async () => {
  const dir = createRunDir();
  const token = 'abad1deaabad1dea';
  const w = new Watchdog(PYTHON, dir, token);
  const child = spawn('sleep', ['30'], { env: { ...process.env, CONCURRENCY_TRACE_TOKEN: token } });
  await new Promise((r) => setTimeout(r, 300));
  await w.release();
  assert.ok(await until(() => w.pid !== undefined && !alive(w.pid), 5000), 'the watchdog exits');
  assert.ok(alive(child.pid!), 'the marked process still runs');
  assert.ok(fs.existsSync(dir));
  child.kill();
  fs.rmSync(dir, { recursive: true });
});
