/**
 * The timeline page for a webview (run panel and trace editor): the bundled
 * app from dist/ under core/export/timelineHtml's nonce CSP.
 */
import * as vscode from 'vscode';
import { webviewPageHtml } from '../core/export/timelineHtml';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    // dist/ holds webview.js, webview.css and the codicon font it loads.
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
  };
}

export function timelinePageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  return webviewPageHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    title,
  });
}
