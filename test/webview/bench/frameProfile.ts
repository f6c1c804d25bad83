/**
 * Which functions a frame's time goes to at scale: the walk's widest zooms (whole trace, half,
 * quarter) drawn repeatedly under Chromium's sampling profiler; prints the top self-time
 * functions. Asserts nothing.
 *
 *   npm run build && node --import tsx test/webview/bench/frameProfile.ts [events] [width] [zoom,zoom,...]
 */
import { LABEL_W } from '../../../webview/ui/dom';
import { launchBrowser, openWebview, send, snapshotOf } from '../harness';
import { syntheticStore } from '../syntheticTrace';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 1_000_000);
  const width = Number(process.argv[3] ?? 1600);
  const zooms = (process.argv[4] ?? '1,2,4').split(',').map(Number);
  const browser = await launchBrowser();
  try {
    const { page } = await openWebview(browser, { width: width + LABEL_W, height: 900 });
    await send(page, snapshotOf(syntheticStore({ events })));
    await page.waitForFunction(() => window.__concurrencyTrace?.isReady() === true, null, { timeout: 120_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    await page.evaluate((zs) => {
      const hook = window.__concurrencyTrace!;
      const { t0, t1 } = hook.layout(0).view;
      const total = t1 - t0;
      const canvases = Array.from(document.querySelectorAll('canvas'));
      for (let k = 0; k < 10; k++) {
        for (const z of zs) {
          for (let i = 0; i < 8; i++) {
            const span = total / z;
            const centre = t0 + span / 2 + ((total - span) * i) / 7;
            hook.zoomTo(centre - span / 2, centre + span / 2);
            hook.renderNow();
            // Rasterize what was drawn (as scaleBench does), so its cost is in the profile too.
            for (const c of canvases) c.getContext('2d')?.getImageData(0, 0, 1, 1);
          }
        }
      }
    }, zooms);
    const { profile } = await cdp.send('Profiler.stop') as { profile: { nodes: ProfileNode[]; samples: number[] } };
    const self = new Map<string, number>();
    let total = 0;
    for (const n of profile.nodes) {
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
      total += n.hitCount ?? 0;
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)} % ${k}`);
    // Built-ins (no script of their own) by the function that called them.
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, ProfileNode>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
    const viaCaller = new Map<string, number>();
    for (const n of profile.nodes) {
      if (n.callFrame.url || !n.hitCount) continue;
      const p = parent.get(n.id);
      const key = `${n.callFrame.functionName} ← ${p?.callFrame.functionName ?? '?'}`;
      viaCaller.set(key, (viaCaller.get(key) ?? 0) + n.hitCount);
    }
    void byId;
    // Inclusive samples of the renderers (roughly CPU time: the sampled thread must be running).
    const inclusive = (id: number): number => {
      const n = byId.get(id)!;
      return (n.hitCount ?? 0) + (n.children ?? []).reduce((a, c) => a + inclusive(c), 0);
    };
    const incl = new Map<string, number>();
    const walk = (id: number, inside: Set<string>): void => {
      const n = byId.get(id)!;
      const name = n.callFrame.functionName;
      if (/^(drawLanes|drawBottom|drawArrows|drawAxis|drawSpans|drawShared|drawPoints|shadeSamples|drawLevelAggregated|render|getImageData)$/.test(name) && !inside.has(name)) {
        incl.set(name, (incl.get(name) ?? 0) + inclusive(id));
        inside = new Set(inside).add(name);
      }
      for (const c of n.children ?? []) walk(c, inside);
    };
    walk(profile.nodes[0].id, new Set());
    console.log(`inclusive samples (interval 100 µs): ${[...incl].map(([k, v]) => `${k} ${v}`).join(' · ')}`);
    console.log('built-ins by caller:');
    for (const [k, v] of [...viaCaller].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)} % ${k}`);
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
