/**
 * data-race corpus: a thread that gets the ident of a thread that ended (CPython reuses it) races
 * with a long-lived thread; the runtime records its accesses as its own, the analysis tells the
 * two threads of one ident apart. The same program under a lock: no finding.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { K } from '../../../src/core/trace/recordKinds';
import { SCRIPTS } from '../harness';
import { assertComplete, assertSilent, lines, only, runCorpus, type CorpusRun } from './corpus';

const SCRIPT = 'reused_ident.py';
/** The unlocked `total += 1`: the line after `else:`. */
const RACY_LINE = fs.readFileSync(path.join(SCRIPTS, 'findings', SCRIPT), 'utf8').split('\n')
  .findIndex((l, i, all) => l.trim() === 'total += 1' && all[i - 1].trim() === 'else:') + 1;

/** The threads named first and second: one ident, two lanes. */
function firstAndSecond(run: CorpusRun): { first: number; second: number } {
  const named = (name: string): number => {
    const found = run.store.threads.filter((t) => t.name === name);
    assert.equal(found.length, 1, `one thread named ${name}`);
    return found[0].index;
  };
  const first = named('first');
  const second = named('second');
  assert.equal(run.store.threads[first].ident, run.store.threads[second].ident, 'the second thread has the first one\'s ident');
  return { first, second };
}

/** Shared accesses of one thread (store thread index). */
const accessesOf = (run: CorpusRun, thread: number): number =>
  [...run.store.rowsOf(K.SHARED_READ), ...run.store.rowsOf(K.SHARED_WRITE)].filter((i) => run.store.thread[i] === thread).length;

test('a thread with an ended thread\'s ident races with a long-lived one on a global: a data race between those two', async () => {
  const run = await runCorpus(SCRIPT, ['race']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /^same ident total \d+\n$/, 'racy: updates may be lost');
  const { first, second } = firstAndSecond(run);
  assert.ok(accessesOf(run, second) >= 2 * 64, `the second thread's first reads and writes are recorded (${accessesOf(run, second)})`);
  assert.ok(accessesOf(run, first) >= 2 * 64, 'and the first one\'s');
  const [f] = only(run, 'data-race');
  assertComplete(f);
  assert.match(f.message, /Data race on total/);
  assert.ok(RACY_LINE > 0);
  assert.deepEqual(lines(f, SCRIPT), [RACY_LINE]);
  assert.deepEqual(f.parties.map((p) => run.store.threads[p.thread]?.name).sort(), ['long-lived', 'second']);
});

test('the same threads under one lock: no finding', async () => {
  const run = await runCorpus(SCRIPT, ['locked']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.equal(run.stdout, 'same ident total 2400\n');
  const { first, second } = firstAndSecond(run);
  assert.ok(accessesOf(run, second) >= 2 * 64, 'the second thread\'s accesses are recorded');
  assert.ok(accessesOf(run, first) >= 2 * 64, 'and the first one\'s');
  assertSilent(run, 'reused ident under a lock');
});
