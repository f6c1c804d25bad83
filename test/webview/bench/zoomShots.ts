/**
 * Screenshots of the timeline of a synthetic trace at several zooms (the whole trace down to
 * single events), for comparing a rendering change before and after by eye. Writes
 * test-artifacts/webview/zoom-<tag>-<width>-<zoom>.png. Asserts nothing.
 *
 *   npm run build && node --import tsx test/webview/bench/zoomShots.ts tag [events] [width] [zoom,zoom,...]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LABEL_W } from '../../../webview/ui/dom';
import { ARTIFACTS, launchBrowser, openWebview, send, snapshotOf } from '../harness';
import { syntheticStore } from '../syntheticTrace';

async function main(): Promise<void> {
  const tag = process.argv[2] ?? 'now';
  const events = Number(process.argv[3] ?? 1_000_000);
  const width = Number(process.argv[4] ?? 1600);
  const zooms = (process.argv[5] ?? '1,4,64,4096').split(',').map(Number);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await launchBrowser();
  try {
    const { page } = await openWebview(browser, { width: width + LABEL_W, height: 900 });
    await send(page, snapshotOf(syntheticStore({ events })));
    await page.waitForFunction(() => window.__concurrencyTrace?.isReady() === true, null, { timeout: 120_000 });
    for (const z of zooms) {
      await page.evaluate((zoom) => {
        const hook = window.__concurrencyTrace!;
        hook.fit();
        const { t0, t1 } = hook.layout(0).view;
        const span = (t1 - t0) / zoom;
        const centre = t0 + (t1 - t0) * 0.37;
        hook.zoomTo(centre - span / 2, centre + span / 2);
        hook.renderNow();
      }, z);
      const file = path.join(ARTIFACTS, `zoom-${tag}-${width}-${z}.png`);
      await page.screenshot({ path: file });
      console.log(file);
    }
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
