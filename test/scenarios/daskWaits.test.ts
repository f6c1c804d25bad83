/**
 * Waits on dask.distributed futures the ways users write them (issue 9: as_completed and
 * gather are waits): `for f in as_completed(futures)`, as_completed(with_results=True) meeting a
 * task's exception, and Client.gather of nested collections. Each traced run prints what the
 * untraced one prints (Debian's /usr/bin/python3 with python3-distributed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { TASK_WAIT, TASK_WAIT_MEMBER } from '../../src/core/analysis/tasks';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { rows, runUntraced, traceScript } from './harness';

const DEBIAN_PYTHON = '/usr/bin/python3';
const ALL = 1;
const ANY = 2;
const DONE = 1;
const RAISED = 2;

function hasDistributed(): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', 'import distributed'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = hasDistributed() ? false : 'Debian python3-distributed is not installed';

/** The task ids a wait waits for: its task, or its group's members. */
function waited(s: TraceStore, w: number): number[] {
  if (s.a[w] === 0) return [s.obj[w]];
  return s.rowsOf(TASK_WAIT_MEMBER).filter((m) => s.obj[m] === s.obj[w]).flatMap((m) => Array.from({ length: s.b[m] }, (_, k) => s.a[m] + k));
}

async function traced(mode: string): Promise<{ s: TraceStore; submitted: Map<number, string>; waits: number[]; stdout: string }> {
  const plain = runUntraced('dask_waits.py', [mode], DEBIAN_PYTHON);
  assert.equal(plain.status, 0, plain.stderr.toString());
  const r = await traceScript('dask_waits.py', [mode], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout.toString(), 'the same output as untraced');
  const s = r.store;
  const str = (i: number): string => s.strings[s.b[i]] ?? '';
  const submitted = new Map(rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'dask').map((i) => [s.obj[i], str(i)]));
  const main = s.threads.find((t) => t.main && s.processes[t.process]?.argv.some((a) => a.endsWith('dask_waits.py')));
  assert.ok(main, "the script's main thread");
  const waits = s.rowsOf(TASK_WAIT).filter((w) => s.thread[w] === main.index);
  for (const w of waits) assert.match(s.sites[s.site[w]]?.file ?? '', /dask_waits\.py$/, "at the user's line");
  return { s, submitted, waits, stdout: r.stdout };
}

test('dask.distributed as_completed: a next() that finds no future completed is a wait for any of the unfinished ones, ended when one is done', { skip }, async () => {
  const { s, submitted, waits } = await traced('as_completed');
  const slow = [...submitted].filter(([, key]) => key.startsWith('slow-')).map(([id]) => id);
  assert.equal(slow.length, 4);
  const any = waits.filter((w) => s.a[w] === ANY);
  assert.ok(any.length >= 1, 'the first next() waited (the tasks take 300 ms)');
  for (const w of any) {
    const ids = waited(s, w);
    assert.ok(ids.length >= 1 && ids.every((id) => slow.includes(id)), 'waits for slow tasks');
    assert.equal(s.b[w], DONE);
    assert.ok(!Number.isNaN(s.end[w]), 'the wait ended');
  }
  assert.deepEqual(findings(s).filter((f) => f.kind !== 'gil-contention').map((f) => f.message), [], 'a correct program: no finding');
});

test("dask.distributed as_completed(with_results=True): the task's exception raised by the loop ends its wait RAISED, and the program that catches it has no finding", { skip }, async () => {
  const { s, submitted, waits, stdout } = await traced('with_results');
  assert.equal(stdout, 'got 10\ncaught no 2\n');
  const failing = [...submitted].filter(([, key]) => key.startsWith('fail-')).map(([id]) => id);
  assert.equal(failing.length, 1);
  const raised = waits.filter((w) => s.a[w] === ANY && s.b[w] === RAISED);
  assert.equal(raised.length, 1, 'one wait ended by the exception');
  // One group per as_completed: it still holds the task already yielded.
  assert.ok(waited(s, raised[0]).includes(failing[0]), 'the wait was for the failing task');
  assert.deepEqual(findings(s).filter((f) => f.kind === 'uncaught-exception').map((f) => f.message), []);
});

test('dask.distributed Client.gather of a list holding a dict and a list of futures waits for all three tasks inside', { skip }, async () => {
  const { s, submitted, waits, stdout } = await traced('nested');
  assert.equal(stdout, "[{'first': 0, 'second': 10}, [20]]\n");
  assert.equal(submitted.size, 3);
  const all = waits.filter((w) => s.a[w] === ALL);
  assert.equal(all.length, 1, 'one gather');
  assert.deepEqual(new Set(waited(s, all[0])), new Set(submitted.keys()));
  assert.equal(s.b[all[0]], DONE);
});
