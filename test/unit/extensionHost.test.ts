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
import type { Finding } from '../../src/core/analysis/finding';
import { findings } from '../../src/core/analysis/findings';
import { checkPython } from '../../src/core/run/launcher';
import { readTrace } from '../../src/core/trace/traceFile';
import { parseStat } from '../../src/core/run/processTree';
import { FakeMemento, FakePanel, Position, Uri, fake } from './fakes/vscode';

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

type Diag = { range: { start: { line: number } }; message: string; severity: number; source?: string; code?: unknown; relatedInformation?: { location: { uri: Uri; range: { start: { line: number } } }; message: string }[] };
const findingsIn = (m: Posted | undefined): { kind: string; id: string; message: string; events: number[] }[] | undefined =>
  (m as { findings?: { kind: string; id: string; message: string; events: number[] }[] } | undefined)?.findings;
const DEADLOCK = path.join(FIXTURES, 'deadlock_hang.py');

test('a deadlock reaches the panel while the program runs, within about a second of the waits; the Problems panel shows it at its sites until the panel closes', { timeout: 60000 }, async (t) => {
  fake.settings.set('concurrencyTrace.args', ['4']);
  const done = run(DEADLOCK);
  const panel = await until(() => fake.panels[0], 'panel');
  const live = await until(() => panel.webview.posted.find((p) => p.message.type === 'findings' && findingsIn(p.message)?.some((f) => f.kind === 'deadlock')), 'a deadlock finding while it runs', 20000);
  const source = api.runs.viewOf(DEADLOCK)?.current;
  const state = source?.state();
  assert.equal(state?.status, 'running', 'found while the program still runs');
  // How long after the cycle closed (the later of the two waits began) the finding was on its way to the panel.
  const store = source!.store();
  const deadlock = findingsIn(live.message)!.find((f) => f.kind === 'deadlock')!;
  const closed = Math.max(...deadlock.events.map((r) => store.ts[r]));
  const sentAfterMs = (state!.nowTs! - closed) / 1e6 - (Date.now() - live.at);
  t.diagnostic(`deadlock finding posted ${sentAfterMs.toFixed(0)} ms after the cycle closed`);
  assert.ok(sentAfterMs < 1500, `sent ${sentAfterMs.toFixed(0)} ms after the cycle closed`);

  // The Problems panel: a diagnostic at each site of the finding in the script.
  const diags = await until(() => fake.diagnostics.get(DEADLOCK) as Diag[] | undefined, 'diagnostics in the script');
  // The deadlock's own diagnostics (the same locks also make a lock-order inversion, with its own).
  const lines = diags.filter((x) => x.code === 'deadlock').map((d) => d.range.start.line + 1).sort((a, b) => a - b);
  const text = fs.readFileSync(DEADLOCK, 'utf8').split('\n');
  const lineOf = (needle: string, from = 0): number => text.findIndex((l, i) => i >= from && l.includes(needle)) + 1;
  const waitB = lineOf('with lock_b:', lineOf('def one'));
  const waitA = lineOf('with lock_a:', lineOf('def two'));
  assert.ok(lines.includes(waitA) && lines.includes(waitB), `diagnostics at the two waits (${waitB}, ${waitA}): ${lines.join(',')}`);
  const d = diags.find((x) => x.range.start.line + 1 === waitB)!;
  assert.equal(d.message, deadlock.message, 'the finding’s own words');
  assert.equal(d.severity, 0, 'an error');
  assert.equal(d.source, 'Concurrency Trace');
  assert.equal(d.code, 'deadlock');
  assert.equal((d as unknown as { range: { start: { character: number } } }).range.start.character, text[waitB - 1].indexOf('with'), 'under the statement');
  const related = (d.relatedInformation ?? []).map((r) => r.location.range.start.line + 1).sort((a, b) => a - b);
  assert.deepEqual(related, lines.filter((l) => l !== waitB), 'every other site as related information');

  // Hovering the statement: the explanation and a link that shows the finding in the timeline.
  const hover = fake.hoverProviders[0].provideHover({ uri: Uri.file(DEADLOCK) }, new Position(waitB - 1, text[waitB - 1].indexOf('lock_b'))) as { contents: { value: string; isTrusted: unknown } };
  assert.match(hover.contents.value, /Deadlock/);
  assert.match(hover.contents.value, /command:concurrencyTrace\.revealFinding\?/);
  assert.deepEqual(hover.contents.isTrusted, { enabledCommands: ['concurrencyTrace.revealFinding'] }, 'only our command may run from the hover');
  // The quick fix does the same.
  const actions = fake.codeActionProviders[0].provideCodeActions({ uri: Uri.file(DEADLOCK) }, d.range as never, { diagnostics: [d as never] }) as { title: string; command: { command: string; arguments: unknown[] } }[];
  assert.equal(actions.length, 1);
  assert.match(actions[0].title, /Show deadlock in the timeline/);
  const before = panel.webview.posted.length;
  await fake.commands.get(actions[0].command.command)!(...actions[0].command.arguments);
  const select = await until(() => panel.webview.posted.slice(before).find((p) => p.message.type === 'selectFinding'), 'selectFinding posted');
  assert.equal((select.message as { id?: string }).id, deadlock.id);

  await done;
  // The run is over (os._exit with the waits open): the panel and the Problems panel keep the deadlock.
  assert.ok((fake.diagnostics.get(DEADLOCK) as Diag[] | undefined)?.length, 'diagnostics stay while the panel is open');
  assert.ok(api.diagnostics.current().some((x) => x.kind === 'deadlock' && x.file === DEADLOCK));
  panel.dispose();
  assert.equal(fake.diagnostics.get(DEADLOCK), undefined, 'closing the panel clears them');
});

test('a program hung in a deadlock: "Stop and Keep Trace" stops it, saves the trace, and the deadlock stays in the panel, the Problems panel and the saved trace', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', []);
  fake.settings.set('concurrencyTrace.stopGraceMs', 800);
  fake.notificationAnswers.push('Stop and Keep Trace');
  const done = run(DEADLOCK);
  const panel = await until(() => fake.panels[0], 'panel');
  await done;
  const offer = fake.messages.find((m) => /deadlock_hang\.py is deadlocked/.test(m.text));
  assert.ok(offer, fake.messages.map((m) => m.text).join('\n'));
  assert.equal(offer.level, 'warning');
  assert.match(fake.terminals[0].output, /Stopped/);
  // The last state posted (the final findings pass may post after it: the deadlock now ended by Stop).
  const last = panel.webview.posted.filter((p) => stateOf(p.message)).at(-1)!.message;
  assert.equal(stateOf(last)?.status, 'stopped');
  const saved = /Trace saved to (.*\.ctrace)/.exec(stateOf(panel.webview.posted.filter((p) => stateOf(p.message)).at(-1)!.message)?.message ?? '')?.[1];
  assert.ok(saved && fs.existsSync(saved), 'the stopped run’s trace is saved');
  const shown = panel.webview.posted.filter((p) => findingsIn(p.message)).at(-1)!.message;
  assert.ok(findingsIn(shown)!.some((f) => f.kind === 'deadlock'), 'the panel still lists the deadlock');
  assert.ok((fake.diagnostics.get(DEADLOCK) as Diag[] | undefined)?.some((x) => x.code === 'deadlock'), 'and the Problems panel');
  assert.ok(findings(readTrace(saved)).some((f) => f.kind === 'deadlock'), 'and the saved trace');
  panel.dispose();

  // The saved trace in the .ctrace editor: the findings come with its snapshot and in Problems, until it closes.
  const provider = fake.customEditors.get('concurrencyTrace.traceViewer') as vscodeTypes.CustomReadonlyEditorProvider;
  const doc = await provider.openCustomDocument(Uri.file(saved) as unknown as vscodeTypes.Uri, {} as never, {} as never);
  const editor = new FakePanel('concurrencyTrace.traceViewer', path.basename(saved));
  await provider.resolveCustomEditor(doc, editor as unknown as vscodeTypes.WebviewPanel, {} as never);
  const snap = await until(() => editor.webview.posted.find((p) => p.message.type === 'snapshot'), 'snapshot');
  assert.ok(findingsIn(snap.message)?.some((f) => f.kind === 'deadlock'), 'findings in the editor’s snapshot');
  assert.ok((fake.diagnostics.get(DEADLOCK) as Diag[] | undefined)?.length, 'diagnostics while the editor is open');
  editor.dispose();
  assert.equal(fake.diagnostics.get(DEADLOCK), undefined, 'cleared when it closes');
});

test('Repeat Until Failure… asks how many runs and what fails, reruns until the first failing run, saves and opens its trace, and sums up all runs', { timeout: 60000 }, async () => {
  const counter = path.join(tmp, 'repeat-count');
  fake.settings.set('concurrencyTrace.args', [counter]);
  fake.answers.inputBox.push('5');
  fake.answers.quickPick.push([0, 1]); // non-zero exit, deadlock
  const outcome = (await fake.commands.get('concurrencyTrace.repeatUntilFailure')!(Uri.file(path.join(FIXTURES, 'fails_third.py')))) as Awaited<ReturnType<typeof api.repeats.run>>;
  assert.ok(outcome);
  assert.deepEqual(outcome.result.runs.map((r) => r.failed), [false, false, true], 'stopped at the first failing run');
  assert.equal(fs.readFileSync(counter, 'utf8'), '3');
  const term = fake.terminals[0];
  assert.match(term.name, /repeat fails_third\.py/);
  for (const n of [1, 2, 3]) assert.match(term.output, new RegExp(`run ${n} of 5`));
  assert.match(term.output, /run 3: exit 1, .* FAILED: exit code 1/);
  assert.match(term.output, /3 runs of up to 5: 1 failed \(run 3: exit code 1\), 2 passed before it\./);
  assert.ok(outcome.traceFile && fs.existsSync(outcome.traceFile), 'the failing run’s trace is saved');
  assert.equal(readTrace(outcome.traceFile).meta.exitCode, 1, 'the saved trace is the failing run’s');
  const opened = fake.executed.find((e) => e.command === 'vscode.openWith');
  assert.equal((opened?.args[0] as Uri).fsPath, outcome.traceFile, 'and opened');
  assert.equal(opened?.args[1], 'concurrencyTrace.traceViewer');
  assert.ok(fake.messages.some((m) => m.level === 'warning' && /1 failed/.test(m.text)), fake.messages.map((m) => m.text).join('\n'));
  assert.deepEqual(fake.progress[0].messages, ['run 1 of 5', 'run 2 of 5', 'run 3 of 5']);
  // The answers are remembered as the next defaults.
  assert.deepEqual(context.workspaceState.get('concurrencyTrace.repeat'), { times: 5, until: { exit: true, kinds: ['deadlock'] } });
});

test('Repeat Until Failure… with concurrencyTrace.perturbSchedule: each run gets a seed of its own, shown on its line and given to the script', { timeout: 60000 }, async () => {
  const counter = path.join(tmp, 'perturb-count');
  fake.settings.set('concurrencyTrace.args', [counter]);
  fake.settings.set('concurrencyTrace.perturbSchedule', true);
  fake.answers.inputBox.push('4');
  fake.answers.quickPick.push([0]);
  try {
    const outcome = (await fake.commands.get('concurrencyTrace.repeatUntilFailure')!(Uri.file(path.join(FIXTURES, 'perturb_seed.py')))) as Awaited<ReturnType<typeof api.repeats.run>>;
    assert.deepEqual(outcome?.result.runs.map((r) => r.failed), [false, true]);
    const seeds = outcome!.result.runs.map((r) => r.seed);
    assert.ok(seeds.every((x) => x && /^\d+$/.test(x)) && seeds[0] !== seeds[1], JSON.stringify(seeds));
    const term = fake.terminals.at(-1)!;
    for (const [i, seed] of seeds.entries()) {
      assert.match(term.output, new RegExp(`run ${i + 1} of 4 \\(schedule perturbed, seed ${seed}\\)`));
      assert.match(term.output, new RegExp(`run ${i + 1} \\(seed ${seed}\\): exit ${i}`));
      // What the script saw: the seed, and the switch interval the runtime set from it (1e-6 … 1e-4 s).
      const seen = new RegExp(`seed ${seed} interval (\\S+)`).exec(term.output);
      assert.ok(seen && Number(seen[1]) >= 1e-6 && Number(seen[1]) <= 1e-4, term.output);
    }
  } finally {
    fake.settings.delete('concurrencyTrace.perturbSchedule');
  }
});

test('Repeat Until Failure…: Cancel stops the run in progress; nothing failed, nothing is saved', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', ['60']);
  fake.answers.inputBox.push('3');
  fake.answers.quickPick.push([0]);
  const before = fs.readdirSync(path.join(storage, 'traces')).length;
  const pending = fake.commands.get('concurrencyTrace.repeatUntilFailure')!(Uri.file(path.join(FIXTURES, 'slow_print.py'))) as Promise<Awaited<ReturnType<typeof api.repeats.run>>>;
  await until(() => fake.terminals[0]?.output.includes('first'), 'the first run’s output');
  const t0 = Date.now();
  fake.progress[0].cancel();
  const outcome = await pending;
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(outcome?.result.runs.length, 1);
  assert.equal(outcome?.result.cancelled, true);
  assert.equal(outcome?.result.failures, 0);
  assert.equal(outcome?.traceFile, undefined);
  assert.equal(fs.readdirSync(path.join(storage, 'traces')).length, before);
  assert.match(fake.terminals[0].output, /1 run of up to 3, stopped before any failed\./);
});

test('Repeat Until Failure…: a run longer than concurrencyTrace.repeatTimeoutSeconds is stopped as a hang, fails, and its trace is saved and opened', { timeout: 60000 }, async () => {
  fake.settings.set('concurrencyTrace.args', ['60']);
  fake.settings.set('concurrencyTrace.repeatTimeoutSeconds', 1.5);
  fake.answers.inputBox.push('3');
  fake.answers.quickPick.push([0]);
  const before = fs.readdirSync(path.join(storage, 'traces')).length;
  try {
    const t0 = Date.now();
    const outcome = (await fake.commands.get('concurrencyTrace.repeatUntilFailure')!(Uri.file(path.join(FIXTURES, 'slow_print.py')))) as Awaited<ReturnType<typeof api.repeats.run>>;
    assert.ok(Date.now() - t0 < 20000, `took ${Date.now() - t0} ms`);
    assert.equal(outcome?.result.runs.length, 1);
    assert.equal(outcome?.result.cancelled, false);
    assert.deepEqual(outcome?.result.runs[0].reasons, ['timed out']);
    assert.equal(outcome?.result.runs[0].timedOut, true);
    assert.ok(outcome?.traceFile && fs.existsSync(outcome.traceFile));
    assert.equal(fs.readdirSync(path.join(storage, 'traces')).length, before + 1);
    assert.match(fake.terminals.at(-1)!.output, /run 1 still going after 1\.5 s: stopped/);
  } finally {
    fake.settings.delete('concurrencyTrace.repeatTimeoutSeconds');
  }
});

test('Problems: one diagnostic per statement, the others as related information with their roles, once however many open traces have it; hover text from the trace cannot become markup or a command', () => {
  const file = path.join(FIXTURES, 'deadlock_hang.py');
  const f: Finding = {
    id: 'data-race:counter', kind: 'data-race', severity: 'warning', message: 'Data race on counter',
    explanation: 'Read [click me](command:workbench.action.quit) then write', steps: ['T1 read `1` at line 15'],
    parties: [], objects: [], window: { startTs: 0, endTs: 1 }, events: [], edges: [],
    sites: [{ file, line: 15, role: 'reads counter' }, { file, line: 17, role: 'writes counter' }, { file, line: 15, role: 'again' }, { file: '/nonexistent/x.py', line: 3, role: 'elsewhere' }],
  };
  const revealed: string[] = [];
  const owner = (key: string) => ({ key, reveal: (id: string) => revealed.push(`${key}:${id}`) });
  api.diagnostics.set(owner('a'), [f]);
  api.diagnostics.set(owner('b'), [f]);
  const diags = fake.diagnostics.get(file) as Diag[];
  assert.deepEqual(diags.map((d) => d.range.start.line + 1), [15, 17], 'one per statement in a file that exists, once for both traces');
  assert.equal(diags[0].severity, 1, 'a warning');
  assert.deepEqual(diags[0].relatedInformation!.map((r) => [r.location.range.start.line + 1, r.message]), [[17, 'writes counter']]);
  assert.deepEqual(diags[1].relatedInformation!.map((r) => [r.location.range.start.line + 1, r.message]), [[15, 'reads counter']]);
  const hover = fake.hoverProviders[0].provideHover({ uri: Uri.file(file) }, new Position(14, 10)) as { contents: { value: string } };
  assert.ok(!hover.contents.value.includes('[click me](command:workbench'), hover.contents.value);
  assert.ok(hover.contents.value.includes('\\[click me\\]\\(command:workbench'), 'shown as text');
  assert.match(hover.contents.value, /T1 read \\`1\\` at line 15/);
  assert.equal(fake.hoverProviders[0].provideHover({ uri: Uri.file(file) }, new Position(15, 4)), undefined, 'nothing on other lines');
  // "Show in the timeline" for a trace that has closed goes to another open trace with the finding.
  void fake.commands.get('concurrencyTrace.revealFinding')!('gone', f.id);
  assert.deepEqual(revealed, ['a:data-race:counter']);
  api.diagnostics.clear('a');
  assert.equal((fake.diagnostics.get(file) as Diag[]).length, 2, 'the other trace still has it');
  api.diagnostics.clear('b');
  assert.equal(fake.diagnostics.get(file), undefined);
});
