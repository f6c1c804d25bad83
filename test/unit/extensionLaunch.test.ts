/**
 * Launch configurations, the pytest command and the bundled examples, in the
 * extension host code against the fake 'vscode': the configuration provider
 * as VS Code calls it (before and after substituting variables), the inline
 * debug adapter driven with the requests VS Code sends (initialize, launch,
 * configurationDone, disconnect), the runs they start (real Python, real
 * runtime), Trace Test and its message when pytest is missing, the
 * CodeLens, and Trace Example.
 */
import './fakes/installVscode';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import { EXAMPLE_LESSONS } from '../../src/core/setup/examples';
import type { ConcurrencyTraceApi } from '../../src/extension/extension';
import { activate } from '../../src/extension/extension';
import { readTrace } from '../../src/core/trace/traceFile';
import { parseStat } from '../../src/core/run/processTree';
import { FakeMemento, Uri, fake, fakeEditor, window } from './fakes/vscode';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-launch-'));
const storage = path.join(tmp, 'storage');
const globalStorage = path.join(tmp, 'global');
let api: ConcurrencyTraceApi;
let context: { subscriptions: { dispose(): unknown }[] };
const FOLDER = { uri: Uri.file(FIXTURES), name: 'fixtures', index: 0 };

type Message = { seq: number; type: string; command?: string; event?: string; success?: boolean; message?: string; body?: Record<string, unknown>; request_seq?: number };

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 20000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Provider = { resolveDebugConfiguration(folder: unknown, c: Record<string, unknown>): Record<string, unknown> | undefined; resolveDebugConfigurationWithSubstitutedVariables(folder: unknown, c: Record<string, unknown>): Record<string, unknown> | undefined };
const resolver = (): Provider => fake.debugProviders.find((p) => p.type === 'concurrency-trace' && p.trigger !== 2)!.provider as unknown as Provider;

/** What VS Code does between the two resolve calls: substitute ${workspaceFolder} and ${file}. */
function substitute(config: Record<string, unknown>, file: string | undefined): Record<string, unknown> {
  const sub = (v: unknown): unknown =>
    typeof v === 'string' ? v.replace(/\$\{workspaceFolder\}/g, FIXTURES).replace(/\$\{file\}/g, file ?? '') : Array.isArray(v) ? v.map(sub) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x)])) : v;
  return sub(config) as Record<string, unknown>;
}

/** A debug session as VS Code drives it: resolve, substitute, resolve again, then the adapter's requests. */
class Session {
  readonly messages: Message[] = [];
  private seq = 1;
  private adapter!: { handleMessage(m: unknown): void; onDidSendMessage(l: (m: Message) => void): unknown; dispose(): void };
  config: Record<string, unknown> | undefined;

  constructor(raw: Record<string, unknown>, activeFile?: string) {
    const first = resolver().resolveDebugConfiguration(FOLDER, raw);
    if (!first) return;
    this.config = resolver().resolveDebugConfigurationWithSubstitutedVariables(FOLDER, substitute(first, activeFile));
  }

  start(): this {
    assert.ok(this.config, 'the configuration resolved');
    const descriptor = fake.debugAdapterFactories.get('concurrency-trace')!.createDebugAdapterDescriptor({ workspaceFolder: FOLDER, configuration: this.config }) as { implementation: Session['adapter'] };
    this.adapter = descriptor.implementation;
    this.adapter.onDidSendMessage((m) => this.messages.push(JSON.parse(JSON.stringify(m)) as Message));
    this.request('initialize', { adapterID: 'concurrency-trace', linesStartAt1: true });
    this.request('launch', this.config);
    // VS Code answers the initialized event with configurationDone.
    void until(() => this.event('initialized'), 'initialized').then(() => this.request('configurationDone'));
    return this;
  }

  request(command: string, args?: unknown): number {
    const seq = this.seq++;
    this.adapter.handleMessage({ seq, type: 'request', command, arguments: args });
    return seq;
  }

  response(seq: number): Message | undefined {
    return this.messages.find((m) => m.type === 'response' && m.request_seq === seq);
  }

  event(name: string): Message | undefined {
    return this.messages.find((m) => m.type === 'event' && m.event === name);
  }

  launchResponse(): Promise<Message> {
    return until(() => this.messages.find((m) => m.type === 'response' && m.command === 'launch'), 'the launch response', 30000);
  }

  ended(timeoutMs = 60000): Promise<Message> {
    return until(() => this.event('terminated'), 'the terminated event', timeoutMs);
  }
}

const stateOf = (m: { message: { type: string } } | undefined): { status: string; message?: string; exitCode?: number | null } | undefined => (m?.message as { state?: never } | undefined)?.state;
/** The run state a panel was sent last (findings may follow it). */
const lastState = (panel: { webview: { posted: { message: { type: string } }[] } }): ReturnType<typeof stateOf> => stateOf(panel.webview.posted.filter((p) => stateOf(p)).at(-1));

before(() => {
  process.env.CONCURRENCY_TRACE_TEST = '1';
  fake.workspaceFolder = FIXTURES;
  context = { subscriptions: [] };
  Object.assign(context, {
    extensionUri: Uri.file(ROOT), extensionPath: ROOT, storageUri: Uri.file(storage), globalStorageUri: Uri.file(globalStorage),
    workspaceState: new FakeMemento(), globalState: new FakeMemento(),
  });
  api = activate(context as unknown as vscodeTypes.ExtensionContext);
});

beforeEach(() => fake.reset());

after(() => {
  for (const d of context.subscriptions) d.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the launch type is registered: a resolver, a "Current File" entry for the Run view while a Python file is in front, an inline adapter', () => {
  assert.ok(fake.debugAdapterFactories.has('concurrency-trace'));
  const dynamic = fake.debugProviders.find((p) => p.type === 'concurrency-trace' && p.trigger === 2)!.provider as unknown as { provideDebugConfigurations(): unknown[] };
  assert.deepEqual(dynamic.provideDebugConfigurations(), [], 'nothing without a Python file in front');
  window.activeTextEditor = fakeEditor(path.join(FIXTURES, 'slow_print.py'));
  assert.deepEqual(dynamic.provideDebugConfigurations(), [{ type: 'concurrency-trace', request: 'launch', name: 'Concurrency Trace: Current File', program: '${file}' }]);
  // The manifest's debugger contribution matches what the code accepts.
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { debuggers: { type: string; languages: string[]; configurationAttributes: { launch: { properties: Record<string, unknown> } } }[] }; activationEvents: string[] };
  const dbg = manifest.contributes.debuggers.find((d) => d.type === 'concurrency-trace')!;
  assert.deepEqual(Object.keys(dbg.configurationAttributes.launch.properties).sort(), ['args', 'cwd', 'env', 'module', 'program', 'python']);
  assert.ok(manifest.activationEvents.includes('onDebugResolve:concurrency-trace'));
});

test('F5 without a launch.json: the Python file in front runs traced through the debug adapter; the session ends with its exit code', { timeout: 60000 }, async () => {
  const script = path.join(FIXTURES, 'slow_print.py');
  window.activeTextEditor = fakeEditor(script);
  const session = new Session({}, script);
  assert.equal(session.config?.program, script);
  assert.equal(session.config?.internalConsoleOptions, 'neverOpen');
  // No arguments: slow_print.py fails on sys.argv[1] (an IndexError, exit 1) after its first print.
  session.start();
  const launched = await session.launchResponse();
  assert.equal(launched.success, true, launched.message);
  const exited = await session.ended().then(() => session.event('exited'));
  assert.equal(exited?.body?.exitCode, 1);
  const terminal = fake.terminals[0];
  assert.match(terminal.name, /Concurrency Trace: slow_print\.py/);
  assert.match(terminal.output, /first\r\n/);
  assert.match(terminal.output, /IndexError/);
  assert.match(terminal.output, /Process exited with code 1/);
  const panel = fake.panels[0];
  assert.equal(panel.title, 'Trace: slow_print.py');
  const last = lastState(panel);
  assert.equal(last?.status, 'exited');
  const saved = /Trace saved to (.*\.ctrace)/.exec(last?.message ?? '')?.[1];
  assert.ok(saved && fs.existsSync(saved), last?.message);
  const outputs = session.messages.filter((m) => m.event === 'output').map((m) => String(m.body?.output));
  assert.match(outputs.join(''), /Traced run: .*python.* .*slow_print\.py/);
  assert.match(outputs.join(''), new RegExp(`Trace saved to ${saved.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(fake.log.join('\n'), /arguments from launch configuration/);
});

test('a launch.json configuration: program, args, cwd and env from it over the settings\' env, variables substituted; the script sees them', { timeout: 60000 }, async () => {
  const out = path.join(tmp, 'seen.json');
  const probe = path.join(tmp, 'probe.py');
  fs.writeFileSync(probe, `import json, os, sys\njson.dump({"argv": sys.argv[1:], "cwd": os.getcwd(), "A": os.environ.get("CT_A"), "HOME_SET": "HOME" in os.environ, "PY_STATE": os.environ.get("CONCURRENCY_TRACE_PY_STATE")}, open(sys.argv[1], "w"))\n`);
  fake.settings.set('concurrencyTrace.env', { CT_A: 'from settings' });
  fake.settings.set('concurrencyTrace.detectThreadRaces', false);
  const session = new Session({
    type: 'concurrency-trace', request: 'launch', name: 'probe', program: probe,
    args: `${out} 'two words' \${workspaceFolder}`, cwd: '${workspaceFolder}/..', env: { CT_A: 'from launch.json', HOME: null },
  }).start();
  assert.equal((await session.launchResponse()).success, true);
  await session.ended();
  assert.equal(session.event('exited')?.body?.exitCode, 0);
  const seen = JSON.parse(fs.readFileSync(out, 'utf8')) as { argv: string[]; cwd: string; A: string; HOME_SET: boolean; PY_STATE: string | null };
  assert.deepEqual(seen.argv, [out, 'two words', FIXTURES]);
  assert.equal(seen.cwd, path.dirname(FIXTURES));
  assert.equal(seen.A, 'from launch.json', 'the configuration\'s env over the setting\'s');
  assert.equal(seen.HOME_SET, false, 'null removes a variable');
  assert.equal(seen.PY_STATE, '0', 'the settings that shape a run apply to launched runs too (detectThreadRaces: false)');
});

test('the debug toolbar\'s Stop (disconnect) ends the whole process tree; the session ends and the trace is saved', { skip: process.platform !== 'linux', timeout: 60000 }, async () => {
  const pids = path.join(tmp, 'pids');
  fake.settings.set('concurrencyTrace.stopGraceMs', 800);
  const session = new Session({ type: 'concurrency-trace', request: 'launch', name: 'tree', program: '${workspaceFolder}/process_tree.py', args: [pids] }).start();
  assert.equal((await session.launchResponse()).success, true);
  await until(() => fs.existsSync(pids) && fs.readFileSync(pids, 'utf8').includes('ready'), 'the tree', 30000);
  const all = fs.readFileSync(pids, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const t0 = Date.now();
  const seq = session.request('disconnect', { restart: false, terminateDebuggee: true });
  // Answered once the run is over (or after 1.5 s): a restart then reuses the run's panel and terminal.
  const answer = await until(() => session.response(seq), 'the disconnect answer', 5000);
  assert.equal(answer.success, true);
  await session.ended(15000);
  assert.ok(Date.now() - t0 < 10000);
  await until(() => fake.terminals[0].output.includes('Stopped'), '"Stopped" in the terminal');
  const alive = all.filter((pid) => {
    try {
      return !parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))?.zombie;
    } catch {
      return false;
    }
  });
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  assert.deepEqual(alive, []);
  const state = await until(() => stateOf(fake.panels[0].webview.posted.filter((p) => stateOf(p)?.message).at(-1)), 'the final state');
  assert.equal(state.status, 'stopped');
  assert.match(state.message ?? '', /Trace saved to/);
});

test('Stop in the panel ends the session too', { timeout: 60000 }, async () => {
  const session = new Session({ type: 'concurrency-trace', request: 'launch', name: 'slow', program: '${workspaceFolder}/slow_print.py', args: ['60'] }).start();
  assert.equal((await session.launchResponse()).success, true);
  await until(() => fake.terminals[0]?.output.includes('first'), 'output');
  // The panel of the earlier run of slow_print.py shows this run too.
  const panel = fake.allPanels.find((p) => !p.disposed && p.title === 'Trace: slow_print.py')!;
  await until(() => lastState(panel)?.status === 'running', 'the live panel');
  panel.webview.send({ type: 'stop' });
  await session.ended(15000);
  assert.match(fake.terminals[0].output, /Stopped/);
});

test('Restart (disconnect, then the same configuration again) stops the run and the next run takes over its panel and terminal', { timeout: 60000 }, async () => {
  const config = { type: 'concurrency-trace', request: 'launch', name: 'slow', program: '${workspaceFolder}/slow_print.py', args: ['60'] };
  const first = new Session({ ...config }).start();
  assert.equal((await first.launchResponse()).success, true);
  await until(() => fake.terminals[0]?.output.includes('first'), 'output');
  const seq = first.request('disconnect', { restart: true });
  await until(() => first.response(seq), 'the disconnect answer', 5000);
  await first.ended();
  const second = new Session({ ...config }).start();
  assert.equal((await second.launchResponse()).success, true);
  await until(() => fake.terminals[1]?.output.includes('first'), 'the second run\'s output');
  assert.ok(fake.terminals[0].disposed, 'the first run\'s terminal made way');
  assert.equal(fake.allPanels.filter((p) => !p.disposed && p.title === 'Trace: slow_print.py').length, 1, 'one panel for both runs');
  second.request('terminate');
  await second.ended(15000);
});

test('a session is a traced run, not a debugger: threads is empty, pause and evaluate are refused with the reason', { timeout: 60000 }, async () => {
  const session = new Session({ type: 'concurrency-trace', request: 'launch', name: 'slow', program: '${workspaceFolder}/slow_print.py', args: ['60'] }).start();
  await session.launchResponse();
  const threads = session.request('threads');
  assert.deepEqual(session.response(threads)?.body, { threads: [] });
  for (const command of ['pause', 'evaluate', 'stackTrace']) {
    const r = session.response(session.request(command, {}));
    assert.equal(r?.success, false, command);
    assert.match(r?.message ?? '', /traced run \(Concurrency Trace\), not a debugger/);
  }
  const init = session.messages.find((m) => m.type === 'response' && m.command === 'initialize');
  assert.deepEqual(init?.body, { supportsConfigurationDoneRequest: true, supportsTerminateRequest: true });
  session.request('terminate');
  await session.ended(15000);
});

test('a configuration that cannot run fails the session with the reason; the provider stops what it can see before the session starts', { timeout: 60000 }, async () => {
  // An interpreter that does not exist: the launch request fails with the message VS Code shows.
  const session = new Session({ type: 'concurrency-trace', request: 'launch', name: 'bad python', program: '${workspaceFolder}/slow_print.py', python: '/nonexistent/python3' }).start();
  const launched = await session.launchResponse();
  assert.equal(launched.success, false);
  assert.match(launched.message ?? '', /"python" \(\/nonexistent\/python3\) was not found/);
  assert.equal(fake.terminals.length, 0, 'no terminal for a run that never started');
  session.request('disconnect');
  await session.ended(5000);

  // A script that does not exist, or two targets: refused by the provider, with a way to launch.json.
  for (const [config, message] of [
    [{ type: 'concurrency-trace', request: 'launch', name: 'gone', program: '${workspaceFolder}/nope.py' }, /Script not found: .*nope\.py/],
    [{ type: 'concurrency-trace', request: 'launch', name: 'both', program: 'a.py', module: 'b' }, /"both": give "program" or "module", not both/],
  ] as const) {
    fake.messages = [];
    assert.equal(new Session({ ...config }).config, undefined);
    assert.match(fake.messages[0]?.text ?? '', message);
    assert.equal(fake.messages[0]?.level, 'error');
  }
  // F5 without a launch.json and nothing to run.
  fake.messages = [];
  assert.equal(resolver().resolveDebugConfiguration(FOLDER, {}), undefined);
  assert.match(fake.messages[0]?.text ?? '', /Open a Python file to run it traced/);
});

/** Whether python3 on PATH (the interpreter the fake window picks) has pytest. */
const PATH_HAS_PYTEST = (() => {
  try {
    execFileSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('a module configuration runs as python -m: the module as __main__ with its arguments, in its cwd; the trace is named after the module', { timeout: 60000 }, async () => {
  const project = path.join(tmp, 'modproj');
  fs.mkdirSync(path.join(project, 'pkg'), { recursive: true });
  fs.writeFileSync(path.join(project, 'pkg', '__init__.py'), '');
  fs.writeFileSync(path.join(project, 'pkg', 'worker.py'), [
    'import os, sys, threading',
    't = threading.Thread(target=lambda: None, name="mod-thread")',
    't.start(); t.join()',
    'print("main", __name__, __spec__.name, sys.argv[1:], os.path.basename(os.getcwd()))',
    'sys.exit(3)',
  ].join('\n') + '\n');
  const session = new Session({ type: 'concurrency-trace', request: 'launch', name: 'module', module: 'pkg.worker', cwd: project, args: ['a', 'b c'] }).start();
  const launched = await session.launchResponse();
  assert.equal(launched.success, true, launched.message);
  await session.ended();
  assert.equal(session.event('exited')?.body?.exitCode, 3);
  const terminal = fake.terminals[0];
  assert.match(terminal.name, /Concurrency Trace: -m pkg\.worker/);
  assert.match(terminal.output, /-m pkg\.worker a 'b c'/, 'the command line in the header');
  assert.match(terminal.output, /main __main__ pkg\.worker \['a', 'b c'\] modproj/);
  const panel = fake.panels[0];
  assert.equal(panel.title, 'Trace: -m pkg.worker');
  const saved = /Trace saved to (.*\.ctrace)/.exec(lastState(panel)?.message ?? '')?.[1];
  assert.ok(saved && path.basename(saved).startsWith('pkg.worker-'), saved);
  const trace = readTrace(saved);
  assert.ok(trace.threads.some((t) => t.name === 'mod-thread'), trace.threads.map((t) => t.name).join(', '));
  assert.deepEqual(trace.meta.argv.slice(1), ['-m', 'pkg.worker', 'a', 'b c']);
});

test('Trace Test runs the test under the cursor as python -m pytest file::test -x -q in the workspace folder; its threads are in the trace', { skip: !PATH_HAS_PYTEST && 'python3 has no pytest', timeout: 90000 }, async () => {
  const file = path.join(FIXTURES, 'test_counter.py');
  window.activeTextEditor = fakeEditor(file, 14);
  const result = await fake.commands.get('concurrencyTrace.traceTest')!() as Awaited<ReturnType<typeof api.tests.trace>>;
  assert.ok(result, fake.messages.map((m) => m.text).join('\n'));
  assert.equal(result.exitCode, 0);
  const terminal = fake.terminals[0];
  assert.match(terminal.name, /Concurrency Trace: test_counter\.py::test_threads_count/);
  assert.match(terminal.output, /-m pytest test_counter\.py::test_threads_count -x -q {2}\(cwd: .*fixtures\)/);
  assert.match(terminal.output, /1 passed/);
  assert.match(fake.log.join('\n'), /-m pytest test_counter\.py::test_threads_count -x -q \(cwd .*fixtures; arguments from Trace Test\)/);
  assert.ok(result.traceFile && path.basename(result.traceFile).startsWith('test_counter.py_test_threads_count-'), result.traceFile);
  const names = readTrace(result.traceFile).threads.map((t) => t.name);
  assert.ok(names.includes('counter-0') && names.includes('counter-1'), names.join(', '));
  assert.equal(fake.panels[0]?.title, 'Trace: test_counter.py::test_threads_count');
});

test('Trace Test from the CodeLens of a failing method: the run fails as pytest does (-x: exit 1)', { skip: !PATH_HAS_PYTEST && 'python3 has no pytest', timeout: 90000 }, async () => {
  const lens = (fake.codeLensProviders[0].provideCodeLenses(fakeEditor(path.join(FIXTURES, 'test_counter.py')).document) as { command: { command: string; arguments: unknown[] } }[])
    .find((l) => (l.command.arguments[1] as string[]).join('::') === 'TestCounter::test_fails')!;
  const result = await fake.commands.get(lens.command.command)!(...lens.command.arguments) as Awaited<ReturnType<typeof api.tests.trace>>;
  assert.equal(result?.exitCode, 1);
  assert.match(fake.terminals[0].output, /-m pytest test_counter\.py::TestCounter::test_fails -x -q/);
  assert.match(fake.terminals[0].output, /1 failed/);
  assert.match(fake.terminals[0].output, /Process exited with code 1/);
});

test('Trace Test: a clear message when pytest is not installed in the interpreter, and no run', { timeout: 120000 }, async () => {
  // A real interpreter without pytest: a venv of python3 without its site-packages.
  const venv = path.join(tmp, 'venv-no-pytest');
  execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
  const python = path.join(venv, 'bin', 'python');
  fake.settings.set('concurrencyTrace.pythonPath', python);
  const file = path.join(FIXTURES, 'test_counter.py');
  window.activeTextEditor = fakeEditor(file, 14);
  const result = await fake.commands.get('concurrencyTrace.traceTest')!();
  assert.equal(result, undefined);
  const m = fake.messages.find((x) => x.level === 'error');
  assert.match(m?.text ?? '', new RegExp(`pytest is not installed for ${python.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(Python 3\\.\\d+\\.\\d+\\)`));
  assert.match(m?.text ?? '', /python -m pip install pytest/);
  assert.equal(fake.terminals.length, 0);
});

test('Trace Test outside any test offers the whole file; declined, nothing runs', async () => {
  window.activeTextEditor = fakeEditor(path.join(FIXTURES, 'test_counter.py'), 0);
  assert.equal(await fake.commands.get('concurrencyTrace.traceTest')!(), undefined);
  assert.match(fake.messages[0]?.text ?? '', /no pytest test at the cursor in test_counter\.py/);
  assert.equal(fake.terminals.length, 0);
});

test('the CodeLens: "Trace test" above each test of a test file, with the test\'s names; none in other files or when turned off', () => {
  const lenses = fake.codeLensProviders[0];
  const doc = fakeEditor(path.join(FIXTURES, 'test_counter.py')).document;
  const got = lenses.provideCodeLenses(doc) as { range: { start: { line: number } }; command: { title: string; command: string; arguments: unknown[] } }[];
  assert.deepEqual(got.map((l) => [l.range.start.line, l.command.title, (l.command.arguments[1] as string[]).join('::')]), [
    [4, '$(pulse) Trace test', 'test_threads_count'],
    [21, '$(pulse) Trace tests', 'TestCounter'],
    [22, '$(pulse) Trace test', 'TestCounter::test_passes'],
    [25, '$(pulse) Trace test', 'TestCounter::test_fails'],
  ]);
  assert.equal(got[0].command.command, 'concurrencyTrace.traceTest');
  assert.equal((got[0].command.arguments[0] as Uri).fsPath, doc.uri.fsPath);
  assert.deepEqual(lenses.provideCodeLenses(fakeEditor(path.join(FIXTURES, 'slow_print.py')).document), []);
  fake.settings.set('concurrencyTrace.testCodeLens', false);
  assert.deepEqual(lenses.provideCodeLenses(doc), []);
});

test('Trace Example: the bundled example is copied to global storage once, opened and run traced; the walkthrough step is ticked', { timeout: 60000 }, async () => {
  const result = await fake.commands.get('concurrencyTrace.runExample')!('pool') as Awaited<ReturnType<typeof api.examples.run>>;
  assert.ok(result);
  assert.equal(result.exitCode, 0);
  const copy = fake.opened[0]?.file;
  assert.ok(copy?.startsWith(path.join(globalStorage, 'examples')), copy);
  assert.equal(fs.readFileSync(copy, 'utf8'), fs.readFileSync(path.join(ROOT, 'examples', 'pool_square.py'), 'utf8'));
  assert.match(fake.terminals[0].output, /\[0, 1, 4, 9, 16, 25\]/);
  assert.equal(fake.contextKeys.get('concurrencyTrace.ranExample.pool'), true);
  assert.equal(readTrace(result.traceFile!).meta.exitCode, 0);
  // The user's edits to the copy stay: it is not copied over again.
  fs.appendFileSync(copy, '# my note\n');
  fake.reset();
  await fake.commands.get('concurrencyTrace.openExample')!('pool');
  assert.equal(fake.opened[0]?.file, copy);
  assert.match(fs.readFileSync(copy, 'utf8'), /# my note/);
});

test('Open Example… lists the lessons whose example is bundled, in order; an unknown id is an error', async () => {
  fake.answers.quickPick.push(0);
  await fake.commands.get('concurrencyTrace.openExample')!();
  const first = EXAMPLE_LESSONS.find((l) => fs.existsSync(path.join(ROOT, 'examples', l.file)))!;
  assert.equal(path.basename(fake.opened[0]?.file ?? ''), first.file);
  assert.deepEqual(api.examples.available().map((l) => l.id), EXAMPLE_LESSONS.filter((l) => fs.existsSync(path.join(ROOT, 'examples', l.file))).map((l) => l.id));
  fake.reset();
  assert.equal(await fake.commands.get('concurrencyTrace.runExample')!('nope'), undefined);
  assert.match(fake.messages[0]?.text ?? '', /no example "nope"/);
});
