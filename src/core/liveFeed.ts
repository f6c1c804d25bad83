/**
 * The cadence of a live timeline: a snapshot whenever the webview (re)loads
 * or comes back into view, then an append every interval while it is
 * visible. Nothing is sent to a hidden view (its page is gone: VS Code
 * reloads it when shown, and it asks for a snapshot). A post that has not
 * been delivered yet holds back the next one rather than queueing behind it.
 */
import type { AppendMessage, HostToWebview, RunState, SnapshotMessage } from '../protocol';
import type { Finding } from './analysis/finding';
import type { LiveBatches } from './liveBatches';

/** The findings to show with the trace (core/liveFindings keeps them). */
export interface FeedFindings {
  readonly list: readonly Finding[];
  /** Moves when the list changed. */
  readonly version: number;
  /** Trace rows the list was computed on. */
  readonly rows: number;
}

export interface LiveFeedOptions {
  batches: LiveBatches;
  /** webview.postMessage; resolves once delivered. */
  post: (message: HostToWebview) => PromiseLike<boolean> | boolean | void;
  state: () => RunState;
  /** Append interval (ms). Default 40. */
  intervalMs?: number;
  /** Told when a post fails (the webview went away mid-send). */
  onError?: (err: unknown) => void;
  /** Findings to send with the snapshot and whenever they change (after the rows they point at). */
  findings?: () => FeedFindings;
}

export class LiveFeed {
  private timer: NodeJS.Timeout | undefined;
  private visible = true;
  /** The view holds a snapshot that appends can follow. */
  private synced = false;
  private inFlight = false;
  private finished = false;
  private readonly intervalMs: number;
  /** Version of the findings the view holds. */
  private findingsSent = -1;
  /** Messages posted, by type (tests and the log). */
  readonly sent = { snapshot: 0, append: 0, state: 0, findings: 0 };

  constructor(private readonly options: LiveFeedOptions) {
    this.intervalMs = Math.max(5, options.intervalMs ?? 40);
  }

  /** The webview posted 'ready': its page (re)loaded with nothing in it. */
  ready(): void {
    this.sendSnapshot();
    this.schedule();
  }

  /** The panel was hidden or shown. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible) {
      this.synced = false;
      this.unschedule();
      return;
    }
    // A page kept alive gets its catch-up now; a reloaded one asks again with 'ready'.
    this.sendSnapshot();
    this.schedule();
  }

  /** One step of the cadence (the timer calls it; tests may too). */
  tick(): void {
    if (!this.visible || !this.synced || this.inFlight) return;
    const message = this.next(this.options.state());
    if (message) this.post(message, message.type);
    this.sendFindings();
  }

  /**
   * The next message: an append (with the rows the findings to send name, in
   * a thinned view), or a full snapshot once the run of a thinned view is over.
   */
  private next(state: RunState): AppendMessage | SnapshotMessage | undefined {
    const batches = this.options.batches;
    if (batches.thinned && state.status !== 'running') return this.snapshotMessage(state);
    const f = this.options.findings?.();
    if (f && f.version !== this.findingsSent) batches.pin(f.list);
    return batches.append(state);
  }

  /**
   * The run ended (or the state changed for good): send what is left with
   * the final state, and stop the timer.
   */
  finish(): void {
    this.finished = true;
    this.unschedule();
    this.pushState();
  }

  /** Sends the current state now (status changes: stopping, saved). */
  pushState(): void {
    if (!this.visible || !this.synced) return;
    const state = this.options.state();
    const message = this.next(state) ?? { type: 'state' as const, state };
    // Not held back by an undelivered post: a final state must not be lost.
    this.post(message, message.type);
    this.sendFindings();
  }

  /** Posts the findings if they changed since the view last got them (they follow the rows they name). */
  private sendFindings(): void {
    const f = this.options.findings?.();
    if (!f || f.version === this.findingsSent || !this.synced) return;
    this.findingsSent = f.version;
    const batches = this.options.batches;
    // A thinned view numbers its rows its own way: the findings' rows are translated (rows: the view's length).
    const rows = batches.thinned ? batches.viewLength : f.rows;
    this.post({ type: 'findings', findings: batches.viewFindings(f.list), rows }, 'findings');
  }

  dispose(): void {
    this.finished = true;
    this.unschedule();
  }

  private sendSnapshot(): void {
    if (!this.visible) return;
    this.synced = true;
    this.post(this.snapshotMessage(this.options.state()), 'snapshot');
  }

  private snapshotMessage(state: RunState): SnapshotMessage {
    const batches = this.options.batches;
    const f = this.options.findings?.();
    const snapshot = batches.snapshot(state, f?.list);
    if (f) {
      // Rows past the snapshot's end (the trace grew since the pass) are ignored by the view until they arrive.
      snapshot.findings = batches.viewFindings(f.list);
      this.findingsSent = f.version;
    }
    return snapshot;
  }

  private post(message: HostToWebview, type: 'snapshot' | 'append' | 'state' | 'findings'): void {
    this.sent[type]++;
    let result: PromiseLike<boolean> | boolean | void;
    try {
      result = this.options.post(message);
    } catch (err) {
      this.synced = false;
      this.options.onError?.(err);
      return;
    }
    if (result && typeof result === 'object' && 'then' in result) {
      this.inFlight = true;
      result.then(
        (delivered) => {
          this.inFlight = false;
          // Undelivered: the view missed a step and must start over from a snapshot.
          if (!delivered) this.synced = false;
        },
        (err: unknown) => {
          this.inFlight = false;
          this.synced = false;
          this.options.onError?.(err);
        },
      );
    }
  }

  private schedule(): void {
    if (this.timer || this.finished || !this.visible) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  private unschedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
