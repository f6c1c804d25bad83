/**
 * Host side of one timeline webview (a run's panel or a .ctrace editor):
 * serves the page, feeds it through core/live/liveFeed, keeps the trace's
 * findings (core/live/liveFindings: again and again while it grows) for the page
 * and the Problems panel, and answers what the page asks for (open a source
 * line, stop the run, export).
 */
import * as vscode from 'vscode';
import type { Finding } from '../core/analysis/finding';
import type { RunState, WebviewToHost } from '../protocol';
import { LiveBatches } from '../core/live/liveBatches';
import { LiveFeed } from '../core/live/liveFeed';
import { LiveFindings, type PassOptions } from '../core/live/liveFindings';
import type { TraceStore } from '../core/trace/traceStore';
import type { FindingDiagnostics, FindingOwner } from './findingDiagnostics';
import { timelinePageHtml, webviewOptions } from './panelHtml';

/** Where a run's timeline opens (setting concurrencyTrace.panelPlacement). */
export type PanelPlacement = 'beside' | 'below' | 'tab';

export function readPanelPlacement(): PanelPlacement {
  const v = vscode.workspace.getConfiguration('concurrencyTrace').get<string>('panelPlacement', 'beside');
  return v === 'below' || v === 'tab' ? v : 'beside';
}

/** Beside the editor (keeping its focus), in the editor's own group as a tab of its full size, or beside then moved below. */
export function panelShowOptions(placement: PanelPlacement): { viewColumn: vscode.ViewColumn; preserveFocus: boolean } {
  if (placement === 'tab') return { viewColumn: vscode.ViewColumn.Active, preserveFocus: false };
  return { viewColumn: vscode.ViewColumn.Beside, preserveFocus: placement === 'beside' };
}

/**
 * A new panel for a run's timeline where the setting says. A panel the user then moves stays
 * where they put it: later runs of the same script reuse it.
 */
export function createTimelinePanel(viewType: string, title: string): vscode.WebviewPanel {
  const placement = readPanelPlacement();
  const panel = vscode.window.createWebviewPanel(viewType, title, panelShowOptions(placement), { enableScripts: true, retainContextWhenHidden: false });
  if (placement === 'below') {
    // The new panel is the active editor: into a group under the editor, then back to the code.
    void Promise.resolve(vscode.commands.executeCommand('workbench.action.moveEditorToBelowGroup'))
      .then(() => vscode.commands.executeCommand('workbench.action.focusAboveGroup'))
      .then(undefined, () => undefined);
  }
  return panel;
}

/** How often a growing trace's findings are looked at (the analysis itself runs at most every 500 ms). */
const FINDINGS_POLL_MS = 100;
let viewCount = 0;

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
  /** The Problems panel's side of the findings. */
  diagnostics?: FindingDiagnostics;
  /** Told when the findings changed (the run controller offers "Stop and Keep Trace" on a deadlock). */
  onFindings?: (view: TimelineView, findings: readonly Finding[]) => void;
}

export class TimelineView implements vscode.Disposable, FindingOwner {
  readonly key = `timeline-${++viewCount}`;
  private feed: LiveFeed | undefined;
  private source: TimelineSource | undefined;
  private findings: LiveFindings | undefined;
  private findingsTimer: NodeJS.Timeout | undefined;
  /** A finding to select once the page has (re)loaded. */
  private pendingSelect: string | undefined;
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
    this.stopFindings();
    this.source = source;
    const findings = new LiveFindings(() => source.store(), {
      onError: (err) => this.options.actions.log('warn', `findings: analysis failed: ${(err as Error).message ?? String(err)}`),
    });
    this.findings = findings;
    this.pendingSelect = undefined;
    const feed = new LiveFeed({
      batches: new LiveBatches(source.store()),
      post: (message) => this.panel.webview.postMessage(message),
      state: () => source.state(),
      intervalMs: this.options.intervalMs,
      onError: (err) => this.options.actions.log('warn', `timeline: post failed: ${String(err)}`),
      findings: () => findings,
    });
    this.feed = feed;
    feed.setVisible(this.panel.visible);
    this.options.diagnostics?.set(this, []);
    if (source.live) {
      // Off the feed's cadence: the Problems panel follows a hidden panel's run too.
      this.findingsTimer = setInterval(() => this.pollFindings(false, { now: source.state().nowTs }), FINDINGS_POLL_MS);
      this.findingsTimer.unref?.();
    } else {
      this.pollFindings(true, { final: true });
      feed.finish();
    }
    this.panel.title = source.title;
    // Setting the html (re)loads the page; it posts 'ready' and gets its snapshot.
    this.panel.webview.html = timelinePageHtml(this.panel.webview, this.options.extensionUri, source.title);
  }

  /** The source's state changed (stopping, saved): tell the page now. */
  pushState(): void {
    this.feed?.pushState();
  }

  /** The run is over: the findings of the whole trace, last append with the final state, no more timer. */
  finish(): void {
    if (this.source) this.source.live = false;
    this.stopFindings();
    this.pollFindings(true, { final: true });
    this.feed?.finish();
  }

  /** The findings shown now. */
  get currentFindings(): readonly Finding[] {
    return this.findings?.list ?? [];
  }

  get baseDir(): string | undefined {
    return this.source?.baseDir;
  }

  /** Brings the view to the front with a finding selected (Problems panel's "Show in the timeline"). */
  reveal(findingId: string): void {
    const alive = this.panel.visible;
    this.panel.reveal(undefined, false);
    // A hidden panel's page reloads when shown: it gets the selection after its snapshot.
    if (alive) void this.panel.webview.postMessage({ type: 'selectFinding', id: findingId });
    else this.pendingSelect = findingId;
  }

  private pollFindings(force: boolean, pass: PassOptions): void {
    const f = this.findings;
    if (!f || !f.poll(force, pass)) return;
    this.options.diagnostics?.set(this, f.list);
    this.options.onFindings?.(this, f.list);
  }

  private stopFindings(): void {
    if (this.findingsTimer) clearInterval(this.findingsTimer);
    this.findingsTimer = undefined;
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
    this.stopFindings();
    this.options.diagnostics?.clear(this.key);
    for (const d of this.disposables) d.dispose();
  }

  private onMessage(message: WebviewToHost): void {
    this.received[message.type] = (this.received[message.type] ?? 0) + 1;
    const source = this.source;
    switch (message.type) {
      case 'ready':
        this.feed?.ready();
        if (this.pendingSelect !== undefined) {
          void this.panel.webview.postMessage({ type: 'selectFinding', id: this.pendingSelect });
          this.pendingSelect = undefined;
        }
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
