/** Asks for a script's arguments and working directory; the answer is remembered for the file. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ArgumentsError, formatArgs, parseArgs, type RememberedRun, type RunArguments } from '../core/run/runArguments';

/** Undefined when the user cancelled. */
export async function promptRunArguments(file: string, current: RunArguments, remembered: RememberedRun | undefined): Promise<RememberedRun | undefined> {
  const name = path.basename(file);
  const argsText = await vscode.window.showInputBox({
    title: `Run ${name} with Concurrency Trace (1/2): arguments`,
    prompt: 'Command-line arguments, quoted as in a shell. Remembered for this file.',
    value: formatArgs(remembered?.args ?? current.args),
    ignoreFocusOut: true,
    validateInput: (text) => {
      try {
        parseArgs(text);
        return undefined;
      } catch (err) {
        return err instanceof ArgumentsError ? err.message : String(err);
      }
    },
  });
  if (argsText === undefined) return undefined;
  const cwd = await vscode.window.showInputBox({
    title: `Run ${name} with Concurrency Trace (2/2): working directory`,
    prompt: 'Empty: the workspace folder. ${workspaceFolder} and ${fileDirname} may be used.',
    value: remembered?.cwd ?? current.cwd,
    ignoreFocusOut: true,
  });
  if (cwd === undefined) return undefined;
  return { args: parseArgs(argsText), cwd: cwd.trim() || undefined };
}
