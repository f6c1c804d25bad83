import { launchBrowser, openWebview, send, snapshotOf, waitReady } from './harness';
import { syntheticStore } from './syntheticTrace';
(async () => {
  const browser = await launchBrowser();
  const { page } = await openWebview(browser, { width: 1600, height: 900 });
  await send(page, snapshotOf(syntheticStore({ events: 200000 })));
  await waitReady(page);
  const run = (label: string) => page.evaluate(async () => {
    const h = window.__concurrencyTrace!;
    const stamps: number[] = [];
    const v = h.layout(1).view;
    for (let i = 0; i < 40; i++) {
      await new Promise((res) => requestAnimationFrame(res));
      stamps.push(performance.now());
      const span = (v.t1 - v.t0) * Math.pow(0.97, i);
      h.zoomTo(v.t0 + (v.t1 - v.t0) / 2 - span / 2, v.t0 + (v.t1 - v.t0) / 2 + span / 2);
      h.renderNow();
    }
    const g = stamps.slice(1).map((t, i) => t - stamps[i]).sort((a, b) => a - b);
    return [g[Math.floor(g.length / 2)], g[Math.floor(g.length * 0.95)]];
  }).then((r) => console.log(label, r));
  await run('as is');
  await page.addStyleTag({ content: 'canvas { will-change: transform; }' });
  await run('canvas own layers');
  await page.addStyleTag({ content: '.axis { display: none }' });
  await run('no axis');
  await page.addStyleTag({ content: '.bottom-canvas { display: none }' });
  await run('no bottom');
  await page.addStyleTag({ content: '.lane-labels { display: none }' });
  await run('no labels');
  await browser.close();
})();
