/**
 * The other side of protocol.ts: VS Code's webview API when it exists, else
 * the HTML report, whose trace is embedded in the page as a snapshot message.
 */
import type { HostToWebview, SnapshotMessage, WebviewToHost } from '../src/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare global {
  interface Window {
    acquireVsCodeApi?: () => VsCodeApi;
  }
}

export interface Host {
  /** False in the HTML report: nothing to stop, export or open. */
  readonly connected: boolean;
  post(message: WebviewToHost): void;
  onMessage(handler: (message: HostToWebview) => void): void;
  /** The snapshot embedded in the page (HTML report), if any. */
  embedded(): SnapshotMessage | undefined;
}

/** The same id as in src/core/export/timelineHtml.ts (not imported: that module uses node:crypto). */
export const SNAPSHOT_ELEMENT_ID = 'ct-snapshot';

const HOST_MESSAGES = new Set<string>(['snapshot', 'append', 'state', 'findings', 'selectFinding']);

export function connectHost(): Host {
  const api = typeof window.acquireVsCodeApi === 'function' ? window.acquireVsCodeApi() : undefined;
  return {
    connected: !!api,
    post: (message) => api?.postMessage(message),
    onMessage: (handler) => {
      window.addEventListener('message', (e: MessageEvent) => {
        const m = e.data as HostToWebview | undefined;
        if (m && typeof m === 'object' && HOST_MESSAGES.has(m.type)) handler(m);
      });
    },
    embedded: () => {
      const el = document.getElementById(SNAPSHOT_ELEMENT_ID);
      if (!el?.textContent) return undefined;
      try {
        const m = JSON.parse(el.textContent) as SnapshotMessage;
        return m.type === 'snapshot' ? m : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
