/**
 * What a timeline can ask of the editor: open a source line, export the
 * trace for Perfetto, write the HTML report. Also used by the commands of
 * the same names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportChrome } from '../core/export/chrome';
import { buildHtmlReport } from '../core/export/htmlReport';
import type { TraceStore } from '../core/trace/traceStore';

/** A source path from a trace, absolute (relative ones are relative to the run's folder, else the workspace). */
export function resolveSourcePath(file: string, baseDir?: string): string {
  return path.isAbsolute(file) ? file : path.resolve(baseDir ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.', file);
}

export async function openSource(file: string, line: number, baseDir?: string): Promise<void> {
  const full = resolveSourcePath(file, baseDir);
  if (!fs.existsSync(full)) {
    void vscode.window.showWarningMessage(`Concurrency Trace: ${full} is not on this machine.`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(full));
  const at = new vscode.Position(Math.max(0, line - 1), 0);
  // Where the file is already shown, else in the first group: beside the timeline, not over it.
  const shown = (vscode.window.visibleTextEditors ?? []).find((e) => e.document.uri.fsPath === full);
  await vscode.window.showTextDocument(doc, {
    selection: new vscode.Range(at, at),
    viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One,
    preserveFocus: false,
  });
}

const stem = (title: string): string => title.replace(/\.(ctrace|pyw?)$/i, '').replace(/[^\w.-]+/g, '_') || 'trace';

function defaultFolder(near?: string): vscode.Uri | undefined {
  if (near) return vscode.Uri.file(path.dirname(near));
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** Save dialog → Chrome Trace Event JSON (opens in ui.perfetto.dev). Returns the file written. */
export async function exportPerfetto(store: TraceStore, title: string, near?: string): Promise<string | undefined> {
  const folder = defaultFolder(near);
  const target = await vscode.window.showSaveDialog({
    title: 'Export Trace for Perfetto',
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${stem(title)}.perfetto.json`) : undefined,
    filters: { 'Chrome Trace Event JSON': ['json'] },
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(exportChrome(store))));
  const open = 'Open Perfetto UI';
  void vscode.window.showInformationMessage(`Exported ${path.basename(target.fsPath)}. Load it at ui.perfetto.dev.`, open).then((pick) => {
    if (pick === open) void vscode.env.openExternal(vscode.Uri.parse('https://ui.perfetto.dev'));
  });
  return target.fsPath;
}

/** Save dialog → the self-contained HTML report, then offer to open it in a browser. */
export async function saveHtmlReport(store: TraceStore, title: string, extensionPath: string, near?: string): Promise<string | undefined> {
  const folder = defaultFolder(near);
  const target = await vscode.window.showSaveDialog({
    title: 'Save HTML Report',
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${stem(title)}.html`) : undefined,
    filters: { HTML: ['html'] },
  });
  if (!target) return undefined;
  const html = buildHtmlReport(store, { assetsDir: path.join(extensionPath, 'dist') });
  await vscode.workspace.fs.writeFile(target, Buffer.from(html, 'utf8'));
  const open = 'Open in Browser';
  void vscode.window.showInformationMessage(`Saved ${path.basename(target.fsPath)}.`, open).then((pick) => {
    if (pick === open) void vscode.env.openExternal(target);
  });
  return target.fsPath;
}
