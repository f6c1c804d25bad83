/**
 * The extension host code against a fake 'vscode': activation without the
 * Python extension, a traced run in a pseudoterminal with its live timeline,
 * Stop, closing the terminal, hidden panels, remembered arguments, the
 * .ctrace editor and export. Real Python, real runtime.
 */
import './fakes/installVscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import type { ConcurrencyTraceApi } from '../../src/extension/extension';
import { activate } from '../../src/extension/extension';
import { checkPython } from '../../src/core/launcher';
import { parseStat } from '../../src/core/processTree';
import { FakeMemento, FakePanel, Uri, fake } from './fakes/vscode';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const linux = process.platform === 'linux';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ext-'));
const storage = path.join(tmp, 'storage');
let api: ConcurrencyTraceApi;
let context: { subscriptions: { dispose(): unknown }[]; workspaceState: FakeMemento };

type Posted = FakePanel['webview']['posted'][number]['message'];

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 15000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const run = (file: string, command = 'concurrencyTrace.run'): Promise<unknown> => fake.commands.get(command)!(Uri.file(file)) as Promise<unknown>;
const rowsIn = (m: Posted): number => ((m as { columns?: { kind: number[] } }).columns?.kind.length ?? 0);
const stateOf = (m: Posted | undefined): { status: string; message?: string; exitCode?: number | null } | undefined => (m as { state?: never } | undefined)?.state;

before(() => {
  process.env.CONCURRENCY_TRACE_TEST = '1';
  fake.workspaceFolder = FIXTURES;
  context = {
    subscriptions: [],
    workspaceState: new FakeMemento(),
  };
  Object.assign(context, {
    extensionUri: Uri.file(ROOT), extensionPath: ROOT, storageUri: Uri.file(storage), globalStorageUri: Uri.file(path.join(tmp, 'global')), globalState: new FakeMemento(),
  });
  api = activate(context as unknown as vscodeTypes.ExtensionContext);
});

beforeEach(() => fake.reset());

after(() => {
  for (const d of context.subscriptions) d.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('activates without the Python extension: commands and the .ctrace editor are registered', () => {
  for (const id of ['concurrencyTrace.run', 'concurrencyTrace.runWithArguments', 'concurrencyTrace.stop', 'concurrencyTrace.openTrace',
    'concurrencyTrace.exportPerfetto', 'concurrencyTrace.openHtmlReport', 'concurrencyTrace.showLog']) {
    assert.ok(fake.commands.has(id), id);
  }
  assert.ok(fake.customEditors.has('concurrencyTrace.traceViewer'));
  assert.ok(api.runs && api.editors);
  // Every command the manifest contributes is registered, and the other way round.
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] }; main: string };
  assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), [...fake.commands.keys()].sort());
  assert.equal(manifest.main, './dist/extension.js');
});

test('a run: terminal I/O, interpreter logged, live timeline from the first second, trace saved', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', ['5']);
  const t0 = Date.now();
  const done = run(path.join(FIXTURES, 'interactive.py'));
  const terminal = await until(() => fake.terminals[0], 'terminal');
  const panel = await until(() => fake.panels[0], 'panel');
  assert.equal(panel.viewType, 'concurrencyTrace.timeline');
  assert.equal(panel.options.retainContextWhenHidden, false);
  assert.match(panel.webview.html, /Content-Security-Policy/);
  assert.match(panel.webview.html, /script-src (&#39;|')nonce-/);
  await until(() => terminal.output.includes('ready\r\n'), 'ready in the terminal');
  const firstEvents = await until(() => panel.webview.posted.find((p) => rowsIn(p.message) > 0), 'events in the panel');
  assert.ok(firstEvents.at - t0 < 1000, `first events on screen after ${firstEvents.at - t0} ms`);
  assert.equal(panel.webview.posted[0].message.type, 'snapshot');
  assert.equal(fake.contextKeys.get('concurrencyTrace.running'), true);
  terminal.type('hi\r');
  await until(() => terminal.output.includes('got HI\r\n'), 'echoed input');
  assert.match(terminal.output, /hi\r\n/, 'typed text echoed');
  terminal.type('\x04');
  await done;
  assert.match(terminal.output, /eof\r\n/);
  assert.match(terminal.output, /Process exited with code 5/);
  assert.match(fake.log.join('\n'), /interpreter: Python extension \(selected interpreter\): skipped \(Python extension not installed\)/);
  assert.match(fake.log.join('\n'), /interpreter: PATH: using .*python3/);
  const last = panel.webview.posted.at(-1)!.message;
  assert.equal(stateOf(last)?.status, 'exited');
  assert.equal(stateOf(last)?.exitCode, 5);
  const saved = /Trace saved to (.*\.ctrace)/.exec(stateOf(last)?.message ?? '')?.[1];
  assert.ok(saved && saved.startsWith(path.join(storage, 'traces')), stateOf(last)?.message);
  assert.ok(fs.existsSync(saved));
  assert.equal(fake.contextKeys.get('concurrencyTrace.running'), false);
  // The appends rebuild everything the store holds.
  const rows = panel.webview.posted.reduce((n, p) => (p.message.type === 'snapshot' ? rowsIn(p.message) : n + rowsIn(p.message)), 0);
  assert.equal(rows, api.runs.activeTrace()?.view.current?.store().length);
});

test('Stop in the panel ends the whole process tree; the terminal says so', { skip: !linux, timeout: 60000 }, async () => {
  const pids = path.join(tmp, 'pids');
  fake.settings.set('concurrencyTrace.args', [pids]);
  fake.settings.set('concurrencyTrace.stopGraceMs', 800);
  const done = run(path.join(FIXTURES, 'process_tree.py'));
  await until(() => fs.existsSync(pids) && fs.readFileSync(pids, 'utf8').includes('ready'), 'the tree', 30000);
  const all = fs.readFileSync(pids, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const panel = fake.panels[0];
  panel.webview.send({ type: 'stop' });
  await until(() => panel.webview.posted.some((p) => stateOf(p.message)?.status === 'stopped'), 'stopped state');
  await done;
  assert.match(fake.terminals[0].output, /Stopped/);
  const alive = all.filter((pid) => {
    try {
      return !parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))?.zombie;
    } catch {
      return false;
    }
  });
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  assert.deepEqual(alive, []);
});

test('closing the terminal stops the run', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', ['60']);
  const done = run(path.join(FIXTURES, 'slow_print.py'));
  const terminal = await until(() => fake.terminals[0], 'terminal');
  await until(() => terminal.output.includes('first'), 'output');
  const t0 = Date.now();
  terminal.dispose();
  await done;
  assert.ok(Date.now() - t0 < 5000);
  assert.match(fake.log.join('\n'), /stop: ending the process tree of slow_print\.py/);
});

test('a hidden panel gets nothing; shown again it reloads and gets a full snapshot', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', ['2']);
  const done = run(path.join(FIXTURES, 'slow_print.py'));
  const panel = await until(() => fake.allPanels.find((p) => !p.disposed && p.title === 'Trace: slow_print.py'), 'panel');
  // This panel showed an earlier run of the same script: wait for this run's live messages.
  await until(() => stateOf(panel.webview.posted.at(-1)?.message)?.status === 'running', 'live messages');
  panel.setVisible(false);
  const before = panel.webview.posted.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(panel.webview.posted.length, before, 'nothing sent while hidden');
  panel.setVisible(true);
  await until(() => panel.webview.posted.length > before, 'a message after showing');
  assert.equal(panel.webview.posted[before].message.type, 'snapshot');
  await done;
  const types = panel.webview.posted.slice(before).map((p) => p.message.type);
  assert.ok(types.includes('append'), `appends continue after the snapshot: ${types.join(',')}`);
});

test('Run with Arguments… asks, remembers per file, and the next plain run reuses the answer', { timeout: 60000 }, async () => {
  const script = path.join(FIXTURES, 'interactive.py');
  fake.answers.inputBox.push(`7 'two words'`, '${workspaceFolder}');
  const first = run(script, 'concurrencyTrace.runWithArguments');
  const terminal = await until(() => fake.terminals[0], 'terminal');
  await until(() => terminal.output.includes('ready'), 'ready');
  terminal.type('\x04');
  await first;
  assert.match(terminal.output, /exited with code 7/);
  assert.match(fake.log.join('\n'), /interactive\.py 7 'two words' \(cwd .*fixtures; arguments from remembered\)/);
  fake.reset();
  const second = run(script);
  const t2 = await until(() => fake.terminals[0], 'terminal');
  await until(() => t2.output.includes('ready'), 'ready');
  t2.type('\x04');
  await second;
  assert.match(t2.output, /exited with code 7/);
});

test('the Python extension\'s selected interpreter is used when it is installed', { timeout: 60000 }, async () => {
  const python = checkPython('python3').executable;
  fake.extensions.set('ms-python.python', {
    isActive: true,
    exports: {
      environments: {
        getActiveEnvironmentPath: () => ({ id: 'x', path: python }),
        resolveEnvironment: () => Promise.resolve({ executable: { uri: Uri.file(python) } }),
      },
    },
  });
  fake.settings.set('concurrencyTrace.args', ['0']);
  const done = run(path.join(FIXTURES, 'slow_print.py'));
  await done;
  assert.match(fake.log.join('\n'), new RegExp(`Python extension \\(selected interpreter\\): using ${python.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('a saved trace opens in the custom editor; export for Perfetto and openSource work from its page', { timeout: 60000 }, async () => {
  const traces = fs.readdirSync(path.join(storage, 'traces')).filter((n) => n.startsWith('interactive-'));
  assert.ok(traces.length > 0);
  const file = path.join(storage, 'traces', traces[0]);
  const provider = fake.customEditors.get('concurrencyTrace.traceViewer') as vscodeTypes.CustomReadonlyEditorProvider;
  const doc = await provider.openCustomDocument(Uri.file(file) as unknown as vscodeTypes.Uri, {} as never, {} as never);
  const panel = new FakePanel('concurrencyTrace.traceViewer', traces[0]);
  await provider.resolveCustomEditor(doc, panel as unknown as vscodeTypes.WebviewPanel, {} as never);
  const snap = await until(() => panel.webview.posted.find((p) => p.message.type === 'snapshot'), 'snapshot');
  assert.ok(rowsIn(snap.message) > 0);
  assert.equal(stateOf(snap.message)?.status, 'saved');
  const out = path.join(tmp, 'export.json');
  fake.answers.saveDialog.push(out);
  panel.webview.send({ type: 'exportPerfetto' });
  await until(() => fs.existsSync(out), 'export');
  const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { traceEvents: unknown[] };
  assert.ok(json.traceEvents.length > 0);
  panel.webview.send({ type: 'openSource', file: 'interactive.py', line: 12 });
  await until(() => fake.opened[0], 'opened source');
  assert.deepEqual(fake.opened[0], { file: path.join(FIXTURES, 'interactive.py'), line: 12 });
  // The command finds the trace in front.
  const out2 = path.join(tmp, 'export2.json');
  fake.answers.saveDialog.push(out2);
  await fake.commands.get('concurrencyTrace.exportPerfetto')!();
  assert.ok(fs.existsSync(out2));
  panel.dispose();
});

test('an unreadable .ctrace opens with an error, not a crash', async () => {
  const bad = path.join(tmp, 'bad.ctrace');
  fs.writeFileSync(bad, 'nope');
  const provider = fake.customEditors.get('concurrencyTrace.traceViewer') as vscodeTypes.CustomReadonlyEditorProvider;
  const doc = await provider.openCustomDocument(Uri.file(bad) as unknown as vscodeTypes.Uri, {} as never, {} as never);
  const panel = new FakePanel('concurrencyTrace.traceViewer', 'bad');
  await provider.resolveCustomEditor(doc, panel as unknown as vscodeTypes.WebviewPanel, {} as never);
  const snap = await until(() => panel.webview.posted.find((p) => p.message.type === 'snapshot'), 'snapshot');
  assert.equal(stateOf(snap.message)?.status, 'failed');
  assert.match(fake.messages.map((m) => m.text).join('\n'), /not a Concurrency Trace file/);
});

test('Open Trace… lists the runs saved in workspace storage', async () => {
  fake.answers.quickPick.push(0);
  await fake.commands.get('concurrencyTrace.openTrace')!();
  const openWith = fake.executed.find((e) => e.command === 'vscode.openWith');
  assert.ok(openWith);
  assert.match((openWith.args[0] as Uri).fsPath, /\.ctrace$/);
  assert.equal(openWith.args[1], 'concurrencyTrace.traceViewer');
});

test('Open HTML Report writes the self-contained page for a saved trace', { skip: !fs.existsSync(path.join(ROOT, 'dist', 'webview.js')) }, async () => {
  const trace = fs.readdirSync(path.join(storage, 'traces')).find((n) => n.startsWith('interactive-'))!;
  const out = path.join(tmp, 'report.html');
  fake.answers.saveDialog.push(out);
  await fake.commands.get('concurrencyTrace.openHtmlReport')!(Uri.file(path.join(storage, 'traces', trace)));
  const html = fs.readFileSync(out, 'utf8');
  assert.match(html, /<script type="application\/json" id="ct-snapshot">/);
  assert.match(html, /Content-Security-Policy/);
  assert.ok(fake.messages.some((m) => m.text.startsWith('Saved report.html')));
});
