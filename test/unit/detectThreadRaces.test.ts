/**
 * The setting concurrencyTrace.detectThreadRaces, through the extension host
 * against a fake 'vscode' (real Python, real runtime): on by default, and
 * off it leaves the run without records of Python state shared by threads.
 */
import './fakes/installVscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import { activate } from '../../src/extension/extension';
import type { LiveRunResult } from '../../src/core/run/liveRun';
import { K } from '../../src/core/trace/recordKinds';
import { FakeMemento, Uri, fake } from './fakes/vscode';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-races-'));
let context: { subscriptions: { dispose(): unknown }[] };

before(() => {
  process.env.CONCURRENCY_TRACE_TEST = '1';
  fake.workspaceFolder = FIXTURES;
  context = { subscriptions: [] };
  Object.assign(context, {
    workspaceState: new FakeMemento(), extensionUri: Uri.file(ROOT), extensionPath: ROOT,
    storageUri: Uri.file(path.join(tmp, 'storage')), globalStorageUri: Uri.file(path.join(tmp, 'global')), globalState: new FakeMemento(),
  });
  activate(context as unknown as vscodeTypes.ExtensionContext);
});

beforeEach(() => fake.reset());

after(() => {
  for (const d of context.subscriptions) d.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function sharedRows(): Promise<number> {
  const result = (await fake.commands.get('concurrencyTrace.run')!(Uri.file(path.join(FIXTURES, 'thread_counter.py')))) as LiveRunResult;
  assert.equal(result.exitCode, 0);
  const s = result.store;
  assert.equal(s.rowsOf(K.THREAD_SPAWN).length, 2, 'the threads are traced either way');
  return s.rowsOf(K.SHARED_READ).length + s.rowsOf(K.SHARED_WRITE).length;
}

test('thread data races are recorded by default', { timeout: 60000 }, async () => {
  const n = await sharedRows();
  // counter += 1 is a read and a write: the first 64 of each per thread at least (py_state's budget).
  assert.ok(n >= 2 * 2 * 64, `${n} rows`);
});

test('detectThreadRaces = false: no Python state is recorded', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.detectThreadRaces', false);
  assert.equal(await sharedRows(), 0);
});
