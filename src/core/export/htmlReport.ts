/**
 * The HTML report: one file with the timeline app (dist/webview.js and its
 * css, the codicon font as a data: URL) and the trace embedded as a snapshot
 * message. Opens from file:// with no network access.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../analysis/finding';
import { findings as analyseTrace } from '../analysis/findings';
import { writeFileAtomic } from '../trace/safeFile';
import { reportPageHtml } from './timelineHtml';
import type { TraceStore } from '../trace/traceStore';
import { packedSnapshot } from './reportCodec';

export interface HtmlReportOptions {
  /** Shown in the title bar and the page title (default: the script's name). */
  title?: string;
  /** Folder holding webview.js, webview.css and codicon.ttf (default: found next to this code). */
  assetsDir?: string;
  /** The findings to show (default: the analysis of the trace, as `summary` prints them). */
  findings?: Finding[];
}

/** Where the built webview is: next to the bundled CLI (dist/), or dist/ of the source tree. */
export function findWebviewAssets(): string {
  const candidates = [__dirname, path.resolve(__dirname, '..', '..', '..', 'dist'), path.resolve(__dirname, '..', 'dist')];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'webview.js'))) return dir;
  throw new Error(`the timeline app (webview.js) is not built: run \`npm run build\` (looked in ${candidates.join(', ')})`);
}

function inlineFonts(css: string, dir: string): string {
  return css.replace(/url\((["']?)\.?\/?([\w.-]+\.ttf)(\?[^"')]*)?\1\)/g, (whole, _q: string, file: string) => {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) return whole;
    return `url("data:font/ttf;base64,${fs.readFileSync(p).toString('base64')}")`;
  });
}

export function reportTitle(store: TraceStore): string {
  const script = store.meta.argv[1] ?? store.processes[0]?.name ?? 'trace';
  return path.basename(script);
}

/**
 * Builds the report page. The second argument may be the extension's folder
 * (its dist/ holds the app), as the extension calls it.
 */
export function buildHtmlReport(store: TraceStore, options: HtmlReportOptions | string = {}): string {
  const opts: HtmlReportOptions = typeof options === 'string' ? { assetsDir: path.join(options, 'dist') } : options;
  const dir = opts.assetsDir ?? findWebviewAssets();
  const script = fs.readFileSync(path.join(dir, 'webview.js'), 'utf8');
  const cssFile = path.join(dir, 'webview.css');
  const style = fs.existsSync(cssFile) ? inlineFonts(fs.readFileSync(cssFile, 'utf8'), dir) : '';
  const title = opts.title ?? reportTitle(store);
  // Columns packed and gzipped (reportCodec.ts): a 1 M-event report is a few MB, not 45.
  const snapshot = packedSnapshot(store, { status: 'saved', title, exitCode: store.meta.exitCode });
  snapshot.findings = opts.findings ?? analyseTrace(store);
  return reportPageHtml({ script, style, snapshotJson: JSON.stringify(snapshot), title: `${title} — Concurrency Trace` });
}

export function writeHtmlReport(file: string, store: TraceStore, options: HtmlReportOptions = {}): void {
  // Private and through no planted symlink: the page holds what the program printed (safeFile.ts).
  writeFileAtomic(file, buildHtmlReport(store, options));
}
