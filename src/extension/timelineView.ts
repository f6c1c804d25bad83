/**
 * Host side of one timeline webview (a run's panel or a .ctrace editor):
 * serves the page, feeds it through core/liveFeed, and answers what the
 * page asks for (open a source line, stop the run, export).
 */
import * as vscode from 'vscode';
import type { RunState, WebviewToHost } from '../protocol';
import { LiveBatches } from '../core/liveBatches';
import { LiveFeed } from '../core/liveFeed';
import type { TraceStore } from '../core/traceStore';
import { timelinePageHtml, webviewOptions } from './panelHtml';

export interface TimelineSource {
  title: string;
  store(): TraceStore;
  state(): RunState;
  /** Still growing: appends follow the snapshot. */
  live: boolean;
  /** Folder that relative source paths in the trace are relative to. */
  baseDir?: string;
  stop?(): void;
}

export interface TimelineActions {
  openSource(file: string, line: number, baseDir?: string): void;
  exportPerfetto(store: TraceStore, title: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface TimelineViewOptions {
  extensionUri: vscode.Uri;
  actions: TimelineActions;
  intervalMs: number;
}

export class TimelineView implements vscode.Disposable {
  private feed: LiveFeed | undefined;
  private source: TimelineSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** Messages the page sent, by type (for the log and tests through the API). */
  readonly received: Record<string, number> = {};

  constructor(readonly panel: vscode.WebviewPanel, private readonly options: TimelineViewOptions) {
    panel.webview.options = webviewOptions(options.extensionUri);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: WebviewToHost) => this.onMessage(m)),
      panel.onDidChangeViewState(() => this.feed?.setVisible(panel.visible)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Shows a source in this view (a new run in a reused panel starts over from a snapshot). */
  show(source: TimelineSource): void {
    this.feed?.dispose();
    this.source = source;
    const feed = new LiveFeed({
      batches: new LiveBatches(source.store()),
      post: (message) => this.panel.webview.postMessage(message),
      state: () => source.state(),
      intervalMs: this.options.intervalMs,
      onError: (err) => this.options.actions.log('warn', `timeline: post failed: ${String(err)}`),
    });
    this.feed = feed;
    feed.setVisible(this.panel.visible);
    if (!source.live) feed.finish();
    this.panel.title = source.title;
    // Setting the html (re)loads the page; it posts 'ready' and gets its snapshot.
    this.panel.webview.html = timelinePageHtml(this.panel.webview, this.options.extensionUri, source.title);
  }

  /** The source's state changed (stopping, saved): tell the page now. */
  pushState(): void {
    this.feed?.pushState();
  }

  /** The run is over: last append with the final state, no more timer. */
  finish(): void {
    if (this.source) this.source.live = false;
    this.feed?.finish();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get current(): TimelineSource | undefined {
    return this.source;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.feed?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private onMessage(message: WebviewToHost): void {
    this.received[message.type] = (this.received[message.type] ?? 0) + 1;
    const source = this.source;
    switch (message.type) {
      case 'ready':
        this.feed?.ready();
        break;
      case 'openSource':
        this.options.actions.openSource(message.file, message.line, source?.baseDir);
        break;
      case 'stop':
        source?.stop?.();
        break;
      case 'exportPerfetto':
        if (source) this.options.actions.exportPerfetto(source.store(), source.title);
        break;
      case 'log':
        this.options.actions.log(message.level, `webview: ${message.message}`);
        break;
    }
  }
}
