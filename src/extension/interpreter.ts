/**
 * Gathers the interpreter candidates VS Code knows of (our setting, the
 * Python extension's selection, python.defaultInterpreterPath) and lets
 * core/setup/interpreterChoice pick. The Python extension is optional: absent,
 * disabled or slow, it is skipped with a note in the log.
 */
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { chooseInterpreter, interpreterCandidates, type InterpreterChoice } from '../core/setup/interpreterChoice';
import { LaunchError, checkPython } from '../core/run/launcher';
import type { VariableContext } from '../core/setup/settingVariables';
import type { RunSettings } from './settings';

const PYTHON_EXTENSION_ID = 'ms-python.python';
const API_TIMEOUT_MS = 10000;

function timeout<T>(ms: number, what: string): Promise<T> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms));
}

/** The executable of the environment selected in the Python extension for this file. */
export async function pythonExtensionExecutable(resource: vscode.Uri): Promise<{ executable?: string; note?: string }> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return { note: 'Python extension not installed' };
  try {
    const api = await Promise.race([PythonExtension.api(), timeout<PythonExtension>(API_TIMEOUT_MS, 'activating the Python extension')]);
    const active = api.environments.getActiveEnvironmentPath(resource);
    const env = await Promise.race([api.environments.resolveEnvironment(active), timeout<undefined>(API_TIMEOUT_MS, 'resolving the environment')]);
    const executable = env?.executable.uri?.fsPath;
    return executable ? { executable } : { note: `selected environment ${active.path} has no Python executable` };
  } catch (err) {
    return { note: `Python extension API failed: ${(err as Error).message}` };
  }
}

export async function pickInterpreter(resource: vscode.Uri, settings: RunSettings, ctx: VariableContext, log: (line: string) => void): Promise<InterpreterChoice> {
  const candidates = interpreterCandidates({
    setting: settings.pythonPath,
    // Asked only when our own setting does not decide: activating the Python extension costs time.
    pythonExtension: settings.pythonPath.trim() ? { note: 'not asked (concurrencyTrace.pythonPath is set)' } : await pythonExtensionExecutable(resource),
    defaultInterpreterPath: settings.defaultInterpreterPath,
  });
  const choice = await chooseInterpreter(candidates, {
    ctx,
    probe: (command) => {
      try {
        const info = checkPython(command);
        return { ok: true, executable: info.executable, version: info.version };
      } catch (err) {
        return { ok: false, error: err instanceof LaunchError ? err.message : String(err) };
      }
    },
  });
  for (const line of choice.log) log(`interpreter: ${line}`);
  if (!choice.python) {
    throw new LaunchError('No usable Python interpreter found (tried concurrencyTrace.pythonPath, the Python extension, python.defaultInterpreterPath, python3 and python on PATH). Select one with "Python: Select Interpreter" or set concurrencyTrace.pythonPath.');
  }
  return choice;
}
