import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Finding } from '../../src/core/analysis/finding';
import { buildHtmlReport } from '../../src/core/export/htmlReport';
import { jsonForScript, reportCsp, reportPageHtml, webviewCsp, webviewPageHtml } from '../../src/core/export/timelineHtml';
import { TraceStore } from '../../src/core/trace/traceStore';

test('the webview page loads only its own script (by nonce) and styles, no inline styles allowed', () => {
  const html = webviewPageHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x.vscode-cdn.net/dist/webview.js', styleUri: 'https://x.vscode-cdn.net/dist/webview.css', nonce: 'abc123', title: 'a <b> & "c"' });
  assert.match(html, /<script nonce="abc123" src="https:\/\/x\.vscode-cdn\.net\/dist\/webview\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/x\.vscode-cdn\.net\/dist\/webview\.css">/);
  assert.match(html, /<title>a &#60;b&#62; &#38; &#34;c&#34;<\/title>/);
  const csp = webviewCsp('https://x.vscode-cdn.net', 'abc123');
  assert.equal(csp, "default-src 'none'; script-src 'nonce-abc123'; style-src https://x.vscode-cdn.net; font-src https://x.vscode-cdn.net");
  assert.ok(!csp.includes('unsafe'));
});

test('the report page inlines everything under a nonce, and its data cannot close its element', () => {
  const html = reportPageHtml({
    script: 'var s = "</script><script>alert(1)</script>"; // <!-- x\n//# sourceMappingURL=webview.js.map\n',
    style: 'a::after { content: "</style>" }\n/*# sourceMappingURL=webview.css.map */',
    snapshotJson: JSON.stringify({ type: 'snapshot', name: '</script><img src=x onerror=alert(1)>\u2028' }),
    nonce: 'n0nce',
    title: 't',
  });
  assert.equal(reportCsp('n0nce'), "default-src 'none'; script-src 'nonce-n0nce'; style-src 'nonce-n0nce'; font-src data:");
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2, 'only the two real script ends');
  assert.equal((html.match(/<\/style>/g) ?? []).length, 1);
  assert.ok(!html.includes('sourceMappingURL'), 'no source map to fetch');
  assert.ok(!html.includes('<img'));
  const data = /<script type="application\/json" id="ct-snapshot">(.*?)<\/script>/s.exec(html)![1];
  assert.deepEqual(JSON.parse(data), { type: 'snapshot', name: '</script><img src=x onerror=alert(1)>\u2028' });
  assert.equal(jsonForScript('"<!--"'), '"\\u003c!--"');
});

test('buildHtmlReport embeds the trace as a snapshot and the font as data', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-assets-'));
  try {
    fs.writeFileSync(path.join(dir, 'webview.js'), 'console.log(1);\n');
    fs.writeFileSync(path.join(dir, 'webview.css'), '@font-face{src:url("./codicon.ttf?abc") format("truetype")}');
    fs.writeFileSync(path.join(dir, 'codicon.ttf'), Buffer.from([0, 1, 2, 3]));
    const store = new TraceStore();
    store.meta = { exitCode: 3, signal: null, argv: ['python3', '/x/my <script>.py'], startedAt: '', python: '' };
    store.addProcess({ pid: 7, ppid: 1, parentPid: 1, name: 'p', argv: [], python: '', startTs: 1, endTs: 2, exited: true, exitCode: 3, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
    const html = buildHtmlReport(store, { assetsDir: dir });
    assert.match(html, /url\("data:font\/ttf;base64,AAECAw=="\)/);
    assert.match(html, /<title>my &#60;script&#62;\.py — Concurrency Trace<\/title>/);
    const data = JSON.parse(/id="ct-snapshot">(.*?)<\/script>/s.exec(html)![1]);
    assert.equal(data.type, 'snapshot');
    assert.deepEqual(data.state, { status: 'saved', title: 'my <script>.py', exitCode: 3 });
    assert.equal(data.tables.processes[0].pid, 7);
    assert.deepEqual(data.findings, [], 'the analysis ran: nothing in this trace');
    const given: Finding[] = [{ id: 'x', kind: 'unjoined', severity: 'info', message: '</script><b>m</b>', explanation: 'e', parties: [], objects: [], sites: [],
      window: { startTs: 1, endTs: 2 }, events: [], edges: [] }];
    const withFindings = buildHtmlReport(store, { assetsDir: dir, findings: given });
    assert.ok(!withFindings.includes('</script><b>'), 'cannot close the data element');
    assert.deepEqual(JSON.parse(/id="ct-snapshot">(.*?)<\/script>/s.exec(withFindings)![1]).findings, given, 'findings ride in the snapshot, escaped');
    // The extension passes its folder; the app is in its dist/.
    fs.mkdirSync(path.join(dir, 'ext', 'dist'), { recursive: true });
    for (const f of ['webview.js', 'webview.css', 'codicon.ttf']) fs.copyFileSync(path.join(dir, f), path.join(dir, 'ext', 'dist', f));
    assert.match(buildHtmlReport(store, path.join(dir, 'ext')), /data:font\/ttf;base64,AAECAw==/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
