/**
 * Plain Python state shared by threads, through the real runtime and
 * collector: the tutorial programs (a global counter with and without a
 * lock, `self.total = self.total + x` on a shared object, check-then-act on
 * a dict) leave SHARED_READ / SHARED_WRITE rows on named objects; the
 * off-switch (CLI flag) leaves none.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { K } from '../../src/core/trace/recordKinds';
import { readTrace } from '../../src/core/trace/traceFile';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { PYTHON, SCRIPTS, pythonHas, rows, runUntraced, traceScript } from './harness';

/** python3, and the interpreters with sys.monitoring (3.12+) where this machine has them. */
const PYTHONS = [PYTHON, ...[
  '/root/.pyenv/versions/3.12.1/bin/python3.12',
  '/root/.pyenv/versions/3.13.0/bin/python3.13',
  '/root/.cache/ct-pythons/bin/python3.14',
].filter(pythonHas)];

interface Access {
  row: number;
  write: boolean;
  thread: number;
  line: number;
  part: number;
}

function objectOf(s: TraceStore, type: string, label: string): number {
  const found = [...s.objects.values()].filter((o) => o.type === type && o.label === label);
  assert.equal(found.length, 1, `one ${type} "${label}" (objects: ${[...s.objects.values()].map((o) => `${o.type} ${o.label}`).join(', ')})`);
  return found[0].id;
}

function accessesOf(s: TraceStore, obj: number): Access[] {
  return [...rows(s, 'SHARED_READ'), ...rows(s, 'SHARED_WRITE')]
    .filter((i) => s.obj[i] === obj)
    .sort((x, y) => s.ts[x] - s.ts[y])
    .map((i) => ({ row: i, write: s.kind[i] === K.SHARED_WRITE, thread: s.thread[i], line: s.sites[s.site[i]]?.line ?? -1, part: s.b[i] }));
}

/** The lines of a script holding `needle`, in order. */
function linesOf(script: string, needle: string): number[] {
  const lines = fs.readFileSync(path.join(SCRIPTS, script), 'utf8').split('\n');
  const found = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  assert.ok(found.length > 0, needle);
  return found;
}

const threadsOf = (xs: Access[]): Set<number> => new Set(xs.map((x) => x.thread));

for (const python of PYTHONS) {
  const v = path.basename(python);
  for (const mode of ['nolock', 'lock']) {
    test(`shared_data += 1 from two threads (${mode}): reads then writes of the module global, from both threads (${v})`, async () => {
      const r = await traceScript('thread_counter.py', [mode], { python });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, 'done\n');
      const s = r.store;
      const g = objectOf(s, 'Python.globals', '__main__');
      const [plain, locked] = linesOf('thread_counter.py', 'shared_data += 1');
      const line = mode === 'lock' ? locked : plain;
      const xs = accessesOf(s, g).filter((x) => x.line === line);
      assert.equal(threadsOf(xs).size, 2, 'both threads');
      for (const t of threadsOf(xs)) {
        const mine = xs.filter((x) => x.thread === t);
        assert.ok(mine.length >= 2 * 64, 'at least the first accesses of each thread');
        assert.ok(mine.length < 2 * 100000, 'the budget bounds a hot loop');
        assert.equal(mine[0].write, false, 'a read first');
        assert.equal(mine[1].write, true, 'then the write');
        assert.equal(new Set(mine.map((x) => x.part)).size, 1, 'one variable');
      }
      if (mode === 'lock') {
        // Every access of the locked twin lies inside a hold of the lock, in its own thread.
        const holds = rows(s, 'LOCK_HOLD');
        for (const x of xs) {
          const ts = s.ts[x.row];
          assert.ok(holds.some((h) => s.thread[h] === x.thread && s.ts[h] <= ts && (Number.isNaN(s.end[h]) || ts <= s.end[h])),
            `access at ${ts} inside a hold`);
        }
      }
    });

    test(`self.total = self.total + x on a shared object (${mode}): the object named after its class (${v})`, async () => {
      const r = await traceScript('thread_account.py', [mode], { python });
      assert.equal(r.exitCode, 0, r.stderr);
      const s = r.store;
      const acct = objectOf(s, 'Python.object', 'Account object');
      const [plain, locked] = linesOf('thread_account.py', 'self.total = self.total + x');
      const line = mode === 'lock' ? locked : plain;
      const xs = accessesOf(s, acct).filter((x) => x.line === line);
      assert.equal(threadsOf(xs).size, 2);
      assert.ok(xs.some((x) => !x.write) && xs.some((x) => x.write));
      assert.equal(new Set(xs.map((x) => x.part)).size, 1, 'one attribute: total (self.lock is a lock, not data)');
      assert.ok(accessesOf(s, acct).every((x) => x.part === xs[0].part));
    });
  }

  test(`check-then-act on a shared dict and list items by index (${v})`, async () => {
    const r = await traceScript('thread_cache.py', [], { python });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, runUntraced('thread_cache.py', [], python).stdout.toString());
    const s = r.store;
    const cache = objectOf(s, 'Python.dict', 'cache');
    const [check] = linesOf('thread_cache.py', 'if key not in cache');
    const [act] = linesOf('thread_cache.py', 'cache[key] = worker');
    const xs = accessesOf(s, cache);
    const parts = new Set(xs.map((x) => x.part));
    assert.equal(parts.size, 3, "'alpha', 'beta' and 7");
    assert.ok(parts.has(2 * 7 + 1), 'an int key is 2k+1');
    for (const part of parts) {
      const mine = xs.filter((x) => x.part === part);
      assert.equal(mine[0].write, false);
      assert.equal(mine[0].line, check, 'the check reads the item');
      assert.ok(mine.some((x) => x.write && x.line === act), 'the act writes it');
    }
    assert.equal(threadsOf(xs.filter((x) => x.line === check)).size, 2);
    const hits = objectOf(s, 'Python.list', 'hits');
    const items = accessesOf(s, hits);
    assert.deepEqual([...new Set(items.map((x) => x.part))].sort(), [1, 3], 'hits[0] and hits[1]');
  });
}

test('run --no-race-detection records no Python state; without it the same run does', () => {
  const cli = path.join(__dirname, '../../dist/cli.js');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-pystate-'));
  try {
    const count = (args: string[]): number => {
      const out = path.join(tmp, 'counter.ctrace');
      const r = spawnSync(process.execPath, [cli, 'run', '--out', out, ...args, path.join(SCRIPTS, 'thread_counter.py')],
        { env: { ...process.env, CONCURRENCY_TRACE_PYTHON: PYTHON }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'done\n');
      const s = readTrace(out);
      assert.equal(rows(s, 'THREAD_SPAWN').length, 2, 'threads are traced either way');
      return rows(s, 'SHARED_READ').length + rows(s, 'SHARED_WRITE').length;
    };
    assert.equal(count(['--no-race-detection']), 0);
    assert.ok(count([]) > 0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
