/**
 * Finding the traces that belong together (relatedTraces) and the editor's
 * "Combine Traces…" command and offer, against the fake 'vscode'.
 */
import './fakes/installVscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, beforeEach, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import { mergeInfoOf } from '../../src/core/merge/mergeInfo';
import { mergeTraces } from '../../src/core/merge/mergeTraces';
import { relatedGroup, sharedKeys, traceLinks } from '../../src/core/merge/relatedTraces';
import { K } from '../../src/core/recordKinds';
import { readTrace, writeTrace } from '../../src/core/traceFile';
import { activate } from '../../src/extension/extension';
import { FakeMemento, Uri, fake } from './fakes/vscode';
import { S, producerAndWorker, trace } from './partTraces';

const ROOT = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-combine-'));
const storage = path.join(tmp, 'storage');
const traces = path.join(storage, 'traces');
const workspace = path.join(tmp, 'ws');

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 15000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('traces that ran at the same time and share a Manager queue belong together; a trace of another time or another queue does not', () => {
  const [a, b] = producerAndWorker();
  const la = traceLinks('a', a);
  const lb = traceLinks('b', b);
  assert.ok(sharedKeys(la, lb) >= 2);
  const later = producerAndWorker({ host: 'c', clock: 'c', trueZero: 3600 * S, ahead: 0, mono: 1n })[1];
  assert.equal(sharedKeys(la, traceLinks('later', later)), 0);
  const stranger = trace({ host: 'd', clock: 'd', trueZero: 1 * S, ahead: 0, mono: 1n }, 400, 'x.py', [[K.QUEUE_GET, 1.1 * S, 1.2 * S, 2 ** 52 + 2 ** 51 + 5, 1, 2]]);
  const ls = traceLinks('stranger', stranger);
  assert.equal(sharedKeys(la, ls), 0);
  assert.deepEqual(relatedGroup(la, [lb, traceLinks('later', later), ls]).map((l) => l.file), ['a', 'b']);
});

test('a group reaches the traces that talked only to a member (producer and worker through the server)', () => {
  const [a, b] = producerAndWorker();
  const la = traceLinks('a', a);
  const lb = traceLinks('b', b);
  // c talked only to b (another queue b used).
  const c = trace({ host: 'c', clock: 'c', trueZero: 1 * S, ahead: 0, mono: 1n }, 500, 'c.py', [[K.QUEUE_PUT, 1.9 * S, 1.9 * S, 2 ** 52 + 2 ** 51 + 99, 7, 2]]);
  b.push(K.QUEUE_GET, 1 * S, 1 * S, 0, 2 ** 52 + 2 ** 51 + 99, -1, 7, 2);
  const lc = traceLinks('c', c);
  const lb2 = traceLinks('b', b);
  assert.equal(sharedKeys(la, lc), 0);
  assert.deepEqual(relatedGroup(la, [lc, lb2]).map((l) => l.file), ['a', 'b', 'c']);
  // A combined trace is never offered again.
  const merged = mergeTraces([{ file: 'a', store: a }, { file: 'b', store: b }]).store;
  assert.deepEqual(relatedGroup(la, [traceLinks('all', merged), lb]).map((l) => l.file), ['a', 'b']);
});

let context: { subscriptions: { dispose(): unknown }[] };

before(() => {
  fs.mkdirSync(traces, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  fake.workspaceFolder = workspace;
  // Runs saved before the extension started: listed by the command, never offered.
  const [a, b] = producerAndWorker();
  writeTrace(path.join(traces, 'producer-20240101-000000-000.ctrace'), a);
  writeTrace(path.join(traces, 'worker-20240101-000001-000.ctrace'), b);
  context = { subscriptions: [] };
  Object.assign(context, {
    extensionUri: Uri.file(ROOT), extensionPath: ROOT, storageUri: Uri.file(storage), globalStorageUri: Uri.file(path.join(tmp, 'global')),
    globalState: new FakeMemento(), workspaceState: new FakeMemento(),
  });
  activate(context as unknown as vscodeTypes.ExtensionContext);
});

beforeEach(() => fake.reset());

test('Combine Traces… ticks the recent runs that belong together, writes the combined trace where asked and opens it', async () => {
  const out = path.join(tmp, 'combined.ctrace');
  fake.answers.quickPick.push([0, 1]);
  fake.answers.saveDialog.push(out);
  const written = await fake.commands.get('concurrencyTrace.combineTraces')!();
  assert.equal(written, out);
  const offered = fake.lastQuickPick as { label: string; picked: boolean }[];
  assert.deepEqual(offered.filter((i) => i.picked).map((i) => i.label).sort(), ['producer-20240101-000000-000.ctrace', 'worker-20240101-000001-000.ctrace']);
  assert.equal(offered.at(-1)?.label, '$(folder-opened) Browse for other traces…');
  const info = mergeInfoOf(readTrace(out).meta);
  assert.ok(info);
  assert.deepEqual(info.parts.map((p) => p.file).sort(), ['producer-20240101-000000-000.ctrace', 'worker-20240101-000001-000.ctrace']);
  const open = fake.executed.find((e) => e.command === 'vscode.openWith');
  assert.equal((open?.args[0] as Uri).fsPath, out);
});

test('Combine Traces… with fewer than two traces picked writes nothing', async () => {
  fake.answers.quickPick.push([0]);
  const written = await fake.commands.get('concurrencyTrace.combineTraces')!();
  assert.equal(written, undefined);
  assert.ok(fake.messages.some((m) => m.level === 'warning' && /at least two traces/.test(m.text)));
  assert.equal(fake.executed.filter((e) => e.command === 'vscode.openWith').length, 0);
});

test('a trace saved into the workspace that ran with a saved run and talked to it brings an offer to combine them, once', async () => {
  const [a, b] = producerAndWorker();
  // Ten hours after the other tests' traces: only these two overlap.
  for (const s of [a, b]) {
    const meta = s.meta as unknown as Record<string, string>;
    meta.wallNsAtZero = String(BigInt(meta.wallNsAtZero) + 36000n * BigInt(S));
  }
  // As `concurrency-trace run` in a terminal would leave them: in the workspace's folder.
  writeTrace(path.join(workspace, 'producer.ctrace'), a);
  const out = path.join(tmp, 'offered.ctrace');
  fake.notificationAnswers.push('Combine…');
  fake.answers.saveDialog.push(out);
  writeTrace(path.join(workspace, 'worker.ctrace'), b);
  // Both files are new: the offer names the one looked at first, and the other.
  const offer = await until(() => fake.messages.find((m) => m.level === 'info' && /^(worker|producer)\.ctrace ran at the same time as (producer|worker)\.ctrace /.test(m.text)), 'the offer');
  assert.match(offer.text, /Combine them into one trace\?$/);
  await until(() => fs.existsSync(out), 'the combined trace');
  assert.equal(mergeInfoOf(readTrace(out).meta)?.parts.length, 2);
  // Saved again (rewritten): no second offer for the same group.
  const before = fake.messages.length;
  writeTrace(path.join(workspace, 'worker.ctrace'), b);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(fake.messages.slice(before).filter((m) => /ran at the same time/.test(m.text)).length, 0);
});

test('a trace that talked to nobody brings no offer', async () => {
  const lone = trace({ host: 'f', clock: 'f', trueZero: 1 * S, ahead: 0, mono: 1n }, 600, 'lone.py', [[K.SLEEP, 1.1 * S, 1.2 * S, 0, 5, 0]]);
  writeTrace(path.join(traces, 'lone-20240101-000002-000.ctrace'), lone);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(fake.messages.filter((m) => /ran at the same time/.test(m.text)).length, 0);
  for (const d of context.subscriptions) d.dispose();
});
