/**
 * Saved traces (*.ctrace) open in the same timeline as a live run: a
 * read-only custom editor whose document is the decoded TraceStore.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TraceFileError, decodeTrace, readTrace } from '../core/trace/traceFile';
import { TraceStore } from '../core/trace/traceStore';
import { TimelineView, type TimelineViewOptions } from './timelineView';

export const TRACE_VIEW_TYPE = 'concurrencyTrace.traceViewer';

export class TraceDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly store: TraceStore | undefined, readonly error: string | undefined) {}
  dispose(): void {}
}

export class TraceEditorProvider implements vscode.CustomReadonlyEditorProvider<TraceDocument> {
  /** Open editors, so commands can find the trace in front of the user. */
  readonly views = new Map<TimelineView, TraceDocument>();

  constructor(private readonly viewOptions: () => TimelineViewOptions) {}

  async openCustomDocument(uri: vscode.Uri): Promise<TraceDocument> {
    try {
      // A local file is read chunk by chunk (no 2 GiB Buffer limit); other file systems through VS Code.
      if (uri.scheme === 'file') return new TraceDocument(uri, readTrace(uri.fsPath), undefined);
      const data = await vscode.workspace.fs.readFile(uri);
      return new TraceDocument(uri, decodeTrace(Buffer.from(data.buffer, data.byteOffset, data.byteLength), path.basename(uri.fsPath)), undefined);
    } catch (err) {
      return new TraceDocument(uri, undefined, err instanceof TraceFileError ? err.message : `Cannot read ${uri.fsPath}: ${(err as Error).message}`);
    }
  }

  resolveCustomEditor(document: TraceDocument, panel: vscode.WebviewPanel): void {
    const view = new TimelineView(panel, this.viewOptions());
    const store = document.store;
    const title = path.basename(document.uri.fsPath);
    if (!store) {
      void vscode.window.showErrorMessage(`Concurrency Trace: ${document.error ?? 'unreadable trace'}`);
    }
    const meta = store?.meta;
    view.show({
      title,
      live: false,
      store: () => store ?? emptyStore(),
      state: () => (store
        ? { status: 'saved', title, exitCode: meta?.exitCode ?? null, message: meta?.startedAt ? `recorded ${meta.startedAt}` : undefined }
        : { status: 'failed', title, message: document.error }),
      baseDir: scriptDir(store) ?? path.dirname(document.uri.fsPath),
    });
    this.views.set(view, document);
    panel.onDidDispose(() => this.views.delete(view));
  }

  /** The trace of the active custom editor, if one is in front. */
  active(): { store: TraceStore; uri: vscode.Uri } | undefined {
    for (const [view, doc] of this.views) if (view.panel.active && doc.store) return { store: doc.store, uri: doc.uri };
    return undefined;
  }
}

let empty: TraceStore | undefined;
/** What an unreadable trace shows: nothing, with the error in the state. */
function emptyStore(): TraceStore {
  empty ??= new TraceStore();
  return empty;
}

/** The folder of the script that was run (argv[1]), where relative sources live. */
function scriptDir(store: TraceStore | undefined): string | undefined {
  const script = store?.meta.argv[1];
  return script && path.isAbsolute(script) ? path.dirname(script) : undefined;
}
