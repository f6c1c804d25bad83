/**
 * Commands on saved traces: open one (recent runs first), export the trace
 * in front for Perfetto, write it as an HTML report.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readTrace } from '../core/trace/traceFile';
import { listTraces } from '../core/trace/traceStorage';
import type { TraceStore } from '../core/trace/traceStore';
import type { RunController } from './runController';
import { exportPerfetto, saveHtmlReport } from './traceActions';
import { TRACE_VIEW_TYPE, type TraceEditorProvider } from './traceEditor';

export interface TraceCommandDeps {
  runs: RunController;
  editors: TraceEditorProvider;
  /** Folders the extension saves traces into (workspace storage and the setting's). */
  traceFolders: () => string[];
  extensionPath: string;
  log: vscode.LogOutputChannel;
}

interface TraceInFront {
  store: TraceStore;
  title: string;
  /** The .ctrace file or the script, for the save dialog's default folder. */
  near?: string;
}

export function registerTraceCommands(deps: TraceCommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('concurrencyTrace.openTrace', (uri?: vscode.Uri) => openTrace(deps, uri)),
    vscode.commands.registerCommand('concurrencyTrace.exportPerfetto', async (uri?: vscode.Uri) => {
      const t = await traceFor(deps, uri, 'Export Trace for Perfetto');
      return t ? exportPerfetto(t.store, t.title, t.near) : undefined;
    }),
    vscode.commands.registerCommand('concurrencyTrace.openHtmlReport', async (uri?: vscode.Uri) => {
      const t = await traceFor(deps, uri, 'Open HTML Report');
      if (!t) return undefined;
      try {
        return await saveHtmlReport(t.store, t.title, deps.extensionPath, t.near);
      } catch (err) {
        deps.log.error(`html report: ${(err as Error).message}`);
        void vscode.window.showErrorMessage(`Concurrency Trace: ${(err as Error).message}`);
        return undefined;
      }
    }),
  ];
}

async function openTrace(deps: TraceCommandDeps, uri?: vscode.Uri): Promise<void> {
  const target = uri ?? (await pickTraceFile(deps, 'Open Trace'));
  if (target) await vscode.commands.executeCommand('vscode.openWith', target, TRACE_VIEW_TYPE);
}

/** Recent traces of this workspace first, then "Browse…". */
async function pickTraceFile(deps: TraceCommandDeps, title: string): Promise<vscode.Uri | undefined> {
  const recent = deps.traceFolders().flatMap((f) => listTraces(f)).sort((a, b) => b.mtimeMs - a.mtimeMs);
  if (recent.length) {
    const browse = { label: '$(folder-opened) Browse…', file: '' };
    const items = [
      ...recent.map((t) => ({ label: t.name, description: new Date(t.mtimeMs).toLocaleString(), detail: path.dirname(t.file), file: t.file })),
      browse,
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'A recent run, or browse for a .ctrace file' });
    if (!pick) return undefined;
    if (pick.file) return vscode.Uri.file(pick.file);
  }
  const picked = await vscode.window.showOpenDialog({ title, filters: { 'Concurrency Trace': ['ctrace'] }, canSelectMany: false });
  return picked?.[0];
}

/** The trace given, else the one in front (trace editor or run panel), else one the user picks. */
async function traceFor(deps: TraceCommandDeps, uri: vscode.Uri | undefined, title: string): Promise<TraceInFront | undefined> {
  if (!uri) {
    const editor = deps.editors.active();
    if (editor) return { store: editor.store, title: path.basename(editor.uri.fsPath), near: editor.uri.fsPath };
    const run = deps.runs.activeTrace();
    const source = run?.view.current;
    if (run && source) return { store: source.store(), title: path.basename(run.file), near: run.file };
  }
  const file = uri ?? (await pickTraceFile(deps, title));
  if (!file) return undefined;
  try {
    return { store: readTrace(file.fsPath), title: path.basename(file.fsPath), near: file.fsPath };
  } catch (err) {
    void vscode.window.showErrorMessage(`Concurrency Trace: ${(err as Error).message}`);
    return undefined;
  }
}
