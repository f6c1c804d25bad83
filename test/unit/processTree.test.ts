import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { launch, removeRunDir } from '../../src/core/run/launcher';
import { ProcessTreeWatch, killProcessTree, parseStat, processStartTicks, treeMembers, type ProcessEntry } from '../../src/core/run/processTree';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';
const SCRIPT = path.join(__dirname, 'fixtures', 'process_tree.py');
const linux = process.platform === 'linux';

const entry = (pid: number, ppid: number, pgid = pid, sid = pgid, start = pid * 10): ProcessEntry => ({ pid, ppid, pgid, sid, start, zombie: false });

test('parseStat reads fields after a command name with spaces and parentheses', () => {
  const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0';
  assert.deepEqual(parseStat(line), { pid: 4242, ppid: 17, pgid: 4242, sid: 4242, start: 987654, zombie: false });
  assert.equal(parseStat('12 (x) Z 1 12 12 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5')?.zombie, true);
});

test('treeMembers: descendants, group and session members, and known runaways, but not strangers', () => {
  const table = [
    entry(1, 0),
    entry(100, 1), // root
    entry(101, 100, 100), // child in the group
    entry(102, 101, 102, 102), // grandchild that called setsid: found by parentage
    entry(103, 1, 100), // orphan, still in the group
    entry(104, 1, 104, 100), // orphan, own group, same session
    entry(105, 1, 105, 105), // orphan that left everything: only known
    entry(106, 105, 105, 105), // its child
    entry(200, 1), // a stranger
  ];
  const plain = treeMembers(table, 100).map((e) => e.pid).sort();
  assert.deepEqual(plain, [100, 101, 102, 103, 104]);
  const withKnown = treeMembers(table, 100, [entry(105, 1, 105, 105)]).map((e) => e.pid).sort();
  assert.deepEqual(withKnown, [100, 101, 102, 103, 104, 105, 106]);
  // A known pid that was reused by another process (other start time) is not ours.
  const reused = treeMembers(table, 100, [{ ...entry(200, 1), start: 1 }]).map((e) => e.pid);
  assert.ok(!reused.includes(200));
});

test('a ProcessTreeWatch remembers members that later leave the tree', () => {
  let table = [entry(1, 0), entry(100, 1), entry(101, 100, 101, 101)];
  const watch = new ProcessTreeWatch(100, { list: () => table });
  assert.deepEqual(watch.scan().map((e) => e.pid).sort(), [100, 101]);
  table = [entry(1, 0), entry(101, 1, 101, 101)]; // root gone, 101 orphaned
  assert.deepEqual(watch.scan().map((e) => e.pid), [101]);
});

function isAlive(pid: number): boolean {
  try {
    const e = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return !!e && !e.zombie;
  } catch {
    return false;
  }
}

async function waitForReady(file: string, timeoutMs = 20000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text.includes('ready')) return text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the process tree did not start: ${fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : 'no pid file'}`);
}

test('killProcessTree ends a real tree: multiprocessing, Pool, subprocess, SIGTERM-ignoring and setsid runaways', { skip: !linux, timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-tree-'));
  const pids = path.join(dir, 'pids');
  const marker = `CT_TREE_TEST=${process.pid}-${Date.now()}`;
  const [name, value] = marker.split('=');
  const child = spawn(PYTHON, [SCRIPT, pids], { detached: true, stdio: 'ignore', env: { ...process.env, [name]: value } });
  const exited = new Promise((r) => child.once('exit', r));
  const watch = new ProcessTreeWatch(child.pid!, { envMarker: marker }).start(100);
  try {
    const all = await waitForReady(pids);
    assert.ok(all.length >= 9, `expected at least 9 pids, got ${all.length}`);
    const left = await killProcessTree(child.pid!, { watch, graceMs: 1000 });
    await exited;
    assert.deepEqual(left, []);
    const survivors = all.filter(isAlive);
    assert.deepEqual(survivors, [], `still running: ${survivors.join(', ')}`);
  } finally {
    watch.stop();
    for (const pid of fs.existsSync(pids) ? fs.readFileSync(pids, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)) : []) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a traced run launched detached is ended whole, through its run token', { skip: !linux, timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-tree-'));
  const pids = path.join(dir, 'pids');
  const run = launch({ python: PYTHON, script: SCRIPT, args: [pids], stdio: 'ignore', detached: true });
  const watch = new ProcessTreeWatch(run.child.pid!, { envMarker: `CONCURRENCY_TRACE_TOKEN=${run.token}` }).start(100);
  try {
    const all = await waitForReady(pids);
    assert.deepEqual(await killProcessTree(run.child.pid!, { watch, graceMs: 1000 }), []);
    const { signal } = await run.exited;
    assert.equal(signal, 'SIGTERM');
    assert.deepEqual(all.filter(isAlive), []);
  } finally {
    watch.stop();
    removeRunDir(run.dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('processStartTicks: a start time for a live process, none for one that exited (zombie) or is gone', { skip: linux ? false : 'reads /proc' }, async () => {
  const own = processStartTicks(process.pid);
  assert.ok(typeof own === 'number' && own > 0);
  assert.equal(processStartTicks(process.pid), own, 'stable: tells this process from a later one with its pid');
  // A parent that does not reap its child: the child stays a zombie for a while.
  const parent = spawn(PYTHON, ['-S', '-c', 'import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(3)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(processStartTicks(zombie), undefined, 'exited: writes nothing more');
  parent.kill('SIGKILL');
  await new Promise((r) => parent.once('exit', r));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(processStartTicks(zombie), undefined, 'gone');
});
