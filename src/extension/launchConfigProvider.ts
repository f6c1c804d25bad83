/**
 * Launch configurations of type "concurrency-trace": defaults for F5 without
 * a launch.json (the Python file in front), a "Current File" entry in the Run
 * view's list, and a check of each configuration (core/setup/launchConfig) before
 * its session starts, with a message naming what is wrong.
 */
import * as vscode from 'vscode';
import { CURRENT_FILE_NAME, LAUNCH_TYPE, LaunchConfigError, resolveLaunch, withDefaults, type LaunchConfigInput, type LaunchContext } from '../core/setup/launchConfig';
import { LaunchError, checkScript } from '../core/run/launcher';
import { TracedRunAdapterFactory, type TracedSessionHost } from './debugAdapter';
import type { RunController } from './runController';

export const OPEN_LAUNCH_JSON = 'Open launch.json';

/** The Python file (saved, local) in the active editor, if any. */
export function activePythonFile(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || doc.uri.scheme !== 'file') return undefined;
  return doc.languageId === 'python' || /\.pyw?$/i.test(doc.fileName) ? doc.uri.fsPath : undefined;
}

export function launchContext(folder: vscode.WorkspaceFolder | undefined): LaunchContext {
  const activeFile = activePythonFile();
  const fromFile = activeFile ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(activeFile)) : undefined;
  return { workspaceFolder: (folder ?? fromFile ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath, activeFile };
}

export class LaunchConfigProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    try {
      if (!config.type && !config.request && !config.name && vscode.window.activeTextEditor?.document.isUntitled) {
        throw new LaunchConfigError('Save the file first: an untitled file cannot be run traced.');
      }
      return withDefaults(config, launchContext(folder)) as vscode.DebugConfiguration;
    } catch (err) {
      this.fail(err, false);
      return undefined;
    }
  }

  resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    try {
      const resolved = resolveLaunch(config as LaunchConfigInput, launchContext(folder));
      if (resolved.program) checkScript(resolved.program);
      return config;
    } catch (err) {
      this.fail(err, config.name !== CURRENT_FILE_NAME);
      return undefined;
    }
  }

  private fail(err: unknown, offerLaunchJson: boolean): void {
    const message = err instanceof LaunchConfigError || err instanceof LaunchError ? err.message : String((err as Error).message ?? err);
    this.log.error(`launch: ${message}`);
    const text = message.startsWith('Concurrency Trace') ? message : `Concurrency Trace: ${message}`;
    const buttons = offerLaunchJson ? [OPEN_LAUNCH_JSON] : [];
    void vscode.window.showErrorMessage(text, ...buttons).then((pick) => {
      if (pick === OPEN_LAUNCH_JSON) void vscode.commands.executeCommand('workbench.action.debug.configure');
    });
  }
}

/** "Concurrency Trace: Current File" in the Run view's list (and Select and Start Debugging) while a Python file is in front. */
export class CurrentFileConfigProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return activePythonFile() ? [{ type: LAUNCH_TYPE, request: 'launch', name: CURRENT_FILE_NAME, program: '${file}' }] : [];
  }
}

/** The launch configuration type: its providers and its debug adapter, which starts runs through `runs`. */
export function registerLaunchType(runs: RunController, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const host = (session: vscode.DebugSession): TracedSessionHost => ({
    launch: async (config) => {
      try {
        const resolved = resolveLaunch(config, launchContext(session.workspaceFolder));
        const prepared = await runs.prepareLaunch(resolved, { folder: session.workspaceFolder?.uri.fsPath });
        return { run: runs.start(prepared), commandLine: prepared.commandLine };
      } catch (err) {
        log.error(`launch: ${(err as Error).message}`);
        throw err;
      }
    },
  });
  return [
    vscode.debug.registerDebugConfigurationProvider(LAUNCH_TYPE, new LaunchConfigProvider(log)),
    vscode.debug.registerDebugConfigurationProvider(LAUNCH_TYPE, new CurrentFileConfigProvider(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory(LAUNCH_TYPE, new TracedRunAdapterFactory(host)),
  ];
}
