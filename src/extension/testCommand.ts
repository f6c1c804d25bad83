/**
 * "Trace Test": the pytest test under the cursor (core/setup/pytestTarget) run
 * traced as `python -m pytest file::Class::test -x -q` in the workspace
 * folder, through the same run machinery as a launch configuration with
 * `"module": "pytest"`. The interpreter is the Run command's; when pytest is
 * not installed in it, a message says so (and which interpreter) instead.
 * A "Trace test" CodeLens above each test in test files runs that test.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LiveRunResult } from '../core/run/liveRun';
import { LaunchError } from '../core/run/launcher';
import { moduleInstalled } from '../core/setup/moduleCheck';
import { findTests, isTestFileName, pytestNodeId, testAt } from '../core/setup/pytestTarget';
import { resolvePathSetting } from '../core/setup/settingVariables';
import type { RunController } from './runController';
import { readSettings } from './settings';

export const TRACE_TEST_COMMAND = 'concurrencyTrace.traceTest';
export const TRACE_ALL = 'Trace All Tests in File';
const SELECT_INTERPRETER = 'Select Interpreter';

export class TestTracer {
  constructor(private readonly runs: RunController, private readonly log: vscode.LogOutputChannel) {}

  /**
   * The command. From a CodeLens: the file and the test's names; from the
   * palette or the editor's menu: the test at the cursor of the active editor.
   */
  async trace(uri?: unknown, names?: unknown): Promise<LiveRunResult | undefined> {
    const doc = await this.document(uri instanceof vscode.Uri ? uri : undefined);
    if (!doc) return undefined;
    const file = doc.uri.fsPath;
    let target = Array.isArray(names) && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
    if (!target) {
      const editor = vscode.window.activeTextEditor;
      const line = editor && editor.document.uri.toString() === doc.uri.toString() ? editor.selection.active.line : 0;
      target = testAt(findTests(doc.getText()), line)?.names;
    }
    if (!target) {
      const pick = await vscode.window.showInformationMessage(`Concurrency Trace: no pytest test at the cursor in ${path.basename(file)}.`, TRACE_ALL);
      if (pick !== TRACE_ALL) return undefined;
      target = [];
    }
    const settings = readSettings(doc.uri);
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
    // pytest finds its rootdir, conftest.py files and ini from here: the workspace folder, as the Python extension's test runner does.
    const cwd = settings.cwd.trim() ? resolvePathSetting(settings.cwd, { workspaceFolder: folder, file }) : folder ?? path.dirname(file);
    const nodeId = pytestNodeId(file, cwd, target);
    try {
      const prepared = await this.runs.prepareLaunch(
        { name: `pytest ${nodeId}`, module: 'pytest', args: [nodeId, '-x', '-q'], cwd, env: {} },
        { name: [path.basename(file), ...target].join('::'), folder, from: 'Trace Test' },
      );
      const check = await moduleInstalled(prepared.python, 'pytest', { cwd, env: prepared.env });
      if (!check.installed) {
        this.missingPytest(prepared.python, prepared.version, check.error);
        return undefined;
      }
      return await this.runs.start(prepared).done;
    } catch (err) {
      const message = err instanceof LaunchError ? err.message : `Concurrency Trace: ${(err as Error).message}`;
      this.log.error(`test: ${message}`);
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  }

  private missingPytest(python: string, version: string, error: string | undefined): void {
    const why = error ? ` (the check failed: ${error})` : '';
    this.log.warn(`test: pytest is not installed for ${python}${why}`);
    const canSelect = !!vscode.extensions.getExtension('ms-python.python');
    void vscode.window.showErrorMessage(
      `Concurrency Trace: pytest is not installed for ${python} (Python ${version})${why}. Install it in that environment (${path.basename(python)} -m pip install pytest), or select an interpreter that has it.`,
      ...(canSelect ? [SELECT_INTERPRETER] : []),
    ).then((pick) => {
      if (pick === SELECT_INTERPRETER) void vscode.commands.executeCommand('python.setInterpreter');
    });
  }

  /** The test file: saved first, as the Run command does; a message when it cannot be run. */
  private async document(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
    const editor = vscode.window.activeTextEditor;
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    if (!doc || !(doc.languageId === 'python' || /\.py$/i.test(doc.fileName))) {
      void vscode.window.showWarningMessage('Concurrency Trace: open a Python test file and put the cursor in a test to trace it.');
      return undefined;
    }
    if (doc.isUntitled || doc.uri.scheme !== 'file') {
      void vscode.window.showWarningMessage('Concurrency Trace: save the test file first; pytest runs files on disk.');
      return undefined;
    }
    if (doc.isDirty && !(await doc.save())) {
      void vscode.window.showWarningMessage(`Concurrency Trace: could not save ${path.basename(doc.fileName)}; not running it.`);
      return undefined;
    }
    return doc;
  }
}

/** "Trace test" above each test function and class of a test file (setting concurrencyTrace.testCodeLens). */
export class TestCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  /** The setting changed: the lenses are asked for again. */
  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isTestFileName(doc.fileName) || !vscode.workspace.getConfiguration('concurrencyTrace', doc.uri).get<boolean>('testCodeLens', true)) return [];
    return findTests(doc.getText()).map((t) => new vscode.CodeLens(new vscode.Range(t.line, 0, t.line, 0), {
      title: t.kind === 'class' ? '$(pulse) Trace tests' : '$(pulse) Trace test',
      tooltip: `Run ${t.names.join('::')} with pytest, traced by Concurrency Trace`,
      command: TRACE_TEST_COMMAND,
      arguments: [doc.uri, t.names],
    }));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
