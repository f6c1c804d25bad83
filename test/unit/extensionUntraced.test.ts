/**
 * The extension never lets a process run untraced without a word: a child
 * the runtime could not trace is a warning with the reason (fake 'vscode',
 * real Python, real runtime).
 */
import './fakes/installVscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import { activate } from '../../src/extension/extension';
import { FakeMemento, Uri, fake } from './fakes/vscode';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'test', 'scenarios', 'scripts', 'untraced_child.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ext-untraced-'));
let subscriptions: { dispose(): unknown }[] = [];

before(() => {
  process.env.CONCURRENCY_TRACE_TEST = '1';
  fake.reset();
  fake.workspaceFolder = path.dirname(SCRIPT);
  const context = {
    subscriptions: [] as { dispose(): unknown }[], workspaceState: new FakeMemento(), globalState: new FakeMemento(),
    extensionUri: Uri.file(ROOT), extensionPath: ROOT, storageUri: Uri.file(path.join(tmp, 'storage')), globalStorageUri: Uri.file(path.join(tmp, 'global')),
  };
  subscriptions = context.subscriptions;
  activate(context as unknown as vscodeTypes.ExtensionContext);
});

after(() => {
  for (const d of subscriptions) d.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a child the tracer could not start in is a warning naming it and the reason', { skip: process.platform !== 'linux', timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', ['fsize']);
  if (process.env.CONCURRENCY_TRACE_TEST_PYTHON) fake.settings.set('concurrencyTrace.pythonPath', process.env.CONCURRENCY_TRACE_TEST_PYTHON);
  await fake.commands.get('concurrencyTrace.run')!(Uri.file(SCRIPT));
  const warnings = fake.messages.filter((m) => m.level === 'warning').map((m) => m.text);
  assert.equal(warnings.length, 1, JSON.stringify(fake.messages));
  assert.match(warnings[0], /^Concurrency Trace: process \d+ was not traced: the tracer could not start \(OSError: .*File too large\)$/);
  assert.ok(!fake.messages.some((m) => m.level === 'error'), JSON.stringify(fake.messages));
});
