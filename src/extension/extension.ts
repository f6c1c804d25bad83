/**
 * Entry point: registers the run commands, the timeline panels, the .ctrace
 * editor and the trace commands. Works without the Python extension (it is
 * only asked which interpreter is selected, when present).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolvePathSetting } from '../core/settingVariables';
import { FindingDiagnostics } from './findingDiagnostics';
import { ExampleCommands } from './exampleCommands';
import { registerLaunchType } from './launchConfigProvider';
import { RepeatController } from './repeatCommand';
import { registerCombineCommand } from './combineCommand';
import { RunController } from './runController';
import { readSettings } from './settings';
import { exportPerfetto, openSource } from './traceActions';
import { registerTraceCommands } from './traceCommands';
import { TRACE_TEST_COMMAND, TestCodeLensProvider, TestTracer } from './testCommand';
import { TRACE_VIEW_TYPE, TraceEditorProvider } from './traceEditor';
import type { TimelineActions } from './timelineView';

/** What activate() returns: a handle for end-to-end tests and other extensions. */
export interface ConcurrencyTraceApi {
  runs: RunController;
  repeats: RepeatController;
  tests: TestTracer;
  examples: ExampleCommands;
  editors: TraceEditorProvider;
  diagnostics: FindingDiagnostics;
}

export function activate(context: vscode.ExtensionContext): ConcurrencyTraceApi {
  const log = vscode.window.createOutputChannel('Concurrency Trace', { log: true });
  const actions: TimelineActions = {
    openSource: (file, line, baseDir) => void openSource(file, line, baseDir).catch((e: Error) => log.error(`open source: ${e.message}`)),
    exportPerfetto: (store, title) => void exportPerfetto(store, title).catch((e: Error) => log.error(`export: ${e.message}`)),
    log: (level, message) => (level === 'error' ? log.error(message) : level === 'warn' ? log.warn(message) : log.info(message)),
  };
  const diagnostics = new FindingDiagnostics();
  const runs = new RunController(context, log, actions, diagnostics);
  const repeats = new RepeatController(context, runs, log);
  const tests = new TestTracer(runs, log);
  const examples = new ExampleCommands(context.extensionPath, context.globalStorageUri.fsPath, runs, log);
  const lenses = new TestCodeLensProvider();
  const editors = new TraceEditorProvider(() => ({ extensionUri: context.extensionUri, actions, intervalMs: readSettings().liveIntervalMs, diagnostics }));
  const storageFolder = path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'traces');
  const traceFolders = (): string[] => {
    const folders = [storageFolder];
    const setting = readSettings().traceFolder;
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (setting.trim()) folders.unshift(resolvePathSetting(setting, { workspaceFolder: ws }));
    return [...new Set(folders)];
  };

  context.subscriptions.push(
    log,
    diagnostics,
    runs,
    vscode.window.registerCustomEditorProvider(TRACE_VIEW_TYPE, editors, { supportsMultipleEditorsPerDocument: true }),
    vscode.commands.registerCommand('concurrencyTrace.run', (uri?: vscode.Uri) => runs.run(asUri(uri), false)),
    vscode.commands.registerCommand('concurrencyTrace.runWithArguments', (uri?: vscode.Uri) => runs.run(asUri(uri), true)),
    vscode.commands.registerCommand('concurrencyTrace.repeatUntilFailure', (uri?: vscode.Uri) => repeats.run(asUri(uri))),
    vscode.commands.registerCommand('concurrencyTrace.stop', () => runs.stopActive()),
    vscode.commands.registerCommand('concurrencyTrace.showLog', () => log.show()),
    vscode.commands.registerCommand(TRACE_TEST_COMMAND, (uri?: unknown, names?: unknown) => tests.trace(uri, names)),
    vscode.commands.registerCommand('concurrencyTrace.openExample', (id?: unknown) => examples.open(id)),
    vscode.commands.registerCommand('concurrencyTrace.runExample', (id?: unknown) => examples.run(id)),
    lenses,
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('concurrencyTrace.testCodeLens')) lenses.refresh();
    }),
    ...registerLaunchType(runs, log),
    ...registerTraceCommands({ runs, editors, traceFolders, extensionPath: context.extensionPath, log }),
    ...registerCombineCommand({ traceFolders, log }),
  );
  log.info(`activated (VS Code ${vscode.version}; traces in ${storageFolder})`);
  return { runs, repeats, tests, examples, editors, diagnostics };
}

export function deactivate(): void {
  // RunController.dispose (a subscription) stops what still runs.
}

/** Menus pass the clicked Uri; keybindings and the palette pass nothing (or something else). */
function asUri(arg: unknown): vscode.Uri | undefined {
  return arg instanceof vscode.Uri ? arg : undefined;
}
