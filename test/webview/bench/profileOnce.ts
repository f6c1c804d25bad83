// temporary: CPU profile of loading + walking at N events
import { LABEL_W } from '../../../webview/ui/dom';
import { launchBrowser, openWebview, send, snapshotOf, waitReady } from '../harness';
import { syntheticStore } from '../syntheticTrace';
async function main() {
  const n = Number(process.argv[2] || 1e6);
  const mode = process.argv[3] || 'load';
  const store = syntheticStore({ events: n });
  const json = JSON.stringify(snapshotOf(store));
  const browser = await launchBrowser();
  const { page } = await openWebview(browser, { width: 1600 + LABEL_W, height: 900 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  if (mode === 'load') await cdp.send('Profiler.start');
  await send(page, JSON.parse(json));
  await waitReady(page);
  await page.waitForTimeout(300);
  if (mode !== 'load') {
    await cdp.send('Profiler.start');
    await page.evaluate(() => { const h = window.__concurrencyTrace!; const { t0, t1 } = h.layout(0).view; for (const z of [2, 4, 8]) for (let i = 0; i < 8; i++) { const span = (t1 - t0) / z; const c = t0 + span / 2 + ((t1 - t0 - span) * i) / 7; h.zoomTo(c - span / 2, c + span / 2); h.renderNow(); } });
  }
  const { profile } = await cdp.send('Profiler.stop') as any;
  const self = new Map<string, number>();
  const dt = profile.timeDeltas as number[];
  const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
  profile.samples.forEach((id: number, i: number) => { const nd = byId.get(id); const k = `${nd.callFrame.functionName || '(anon)'} ${nd.callFrame.url.split('/').pop()}:${nd.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + dt[i] / 1000); });
  console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0).padStart(6)} ms ${k}`).join('\n'));
  await browser.close();
}
main();
