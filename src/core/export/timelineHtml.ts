/**
 * The timeline page, in its two homes: a VS Code webview (script and styles
 * from webview URIs) and the self-contained HTML report (everything inline,
 * the trace embedded as a snapshot message). Both run under a strict CSP:
 * scripts only by nonce; styles only from the extension (webview) or by nonce
 * (report). The UI elements (lit) style their shadow roots with constructable
 * stylesheets, which CSP does not restrict, and set inline styles only through
 * the CSSOM, which it allows: no 'unsafe-inline' is needed.
 */
import { randomBytes } from 'node:crypto';

export const APP_ELEMENT_ID = 'app';
export const SNAPSHOT_ELEMENT_ID = 'ct-snapshot';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface WebviewPageOptions {
  /** webview.cspSource */
  cspSource: string;
  /** webview.asWebviewUri(dist/webview.js) */
  scriptUri: string;
  /** webview.asWebviewUri(dist/webview.css); its codicon.ttf is resolved next to it. */
  styleUri: string;
  nonce?: string;
  title: string;
}

export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function reportCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'font-src data:',
  ].join('; ');
}

function page(csp: string, title: string, head: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
${head}
</head>
<body>
<div id="${APP_ELEMENT_ID}"></div>
${body}
</body>
</html>
`;
}

/** The page for a VS Code webview panel or custom editor. */
export function webviewPageHtml(o: WebviewPageOptions): string {
  const nonce = o.nonce ?? makeNonce();
  return page(
    webviewCsp(o.cspSource, nonce),
    o.title,
    `<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">`,
    `<script nonce="${nonce}" src="${escapeHtml(o.scriptUri)}"></script>`,
  );
}

export interface ReportPageOptions {
  /** dist/webview.js */
  script: string;
  /** dist/webview.css with its font already inlined as a data: URL */
  style: string;
  /** The snapshot message, JSON. */
  snapshotJson: string;
  nonce?: string;
  title: string;
}

/** Makes JSON safe inside <script type="application/json">: no '<' can end or comment the element. */
export function jsonForScript(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The self-contained report page: nothing is loaded from anywhere. */
export function reportPageHtml(o: ReportPageOptions): string {
  const nonce = o.nonce ?? makeNonce();
  // Inline code must not close its own element; "<\/" means the same in JS strings and regexes and CSS.
  const script = o.script.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  const style = o.style.replace(/<\/(style)/gi, '<\\/$1').replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '');
  return page(
    reportCsp(nonce),
    o.title,
    `<style nonce="${nonce}">\n${style}\n</style>`,
    `<script type="application/json" id="${SNAPSHOT_ELEMENT_ID}">${jsonForScript(o.snapshotJson)}</script>\n<script nonce="${nonce}">\n${script}\n</script>`,
  );
}
