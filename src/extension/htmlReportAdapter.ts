/** Placeholder until src/core/export/htmlReport.ts lands. */
import type { TraceStore } from '../core/traceStore';

export function buildHtmlReport(_store: TraceStore, _extensionPath: string): string {
  throw new Error('the HTML report is not available in this build');
}
