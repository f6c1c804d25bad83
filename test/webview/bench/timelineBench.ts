/**
 * Frame times of the timeline on a 200 000-event trace in headless Chromium:
 * loads the synthetic trace as a webview snapshot, then drives 100 zoom / pan
 * steps (Ctrl + wheel at varying points, Shift + wheel pans, W/S/A/D keys)
 * and reports, per step, the time from the input event to the next painted
 * frame, and the time the app spent drawing; then holds W, D, S, A (the app
 * redraws every animation frame) and reports the frame intervals. Prints
 * figures; asserts nothing. Headless Chromium here rasterizes on the CPU
 * (--disable-gpu): a desktop with a GPU draws the same frames faster.
 *
 *   npm run build && node --import tsx test/webview/bench/timelineBench.ts [events]
 */
import { launchBrowser, openWebview, send, snapshotOf, waitReady } from '../harness';
import { syntheticStore } from '../syntheticTrace';

const EVENTS = Number(process.argv[2] || 200_000);
const STEPS = 100;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main(): Promise<void> {
  const store = syntheticStore({ events: EVENTS });
  const browser = await launchBrowser();
  try {
    const { page } = await openWebview(browser, { width: 1600, height: 900 });
    const msg = snapshotOf(store);
    const t = Date.now();
    await send(page, msg);
    await waitReady(page);
    const loadMs = Date.now() - t;
    const result = await page.evaluate(async (steps) => {
      const hook = window.__concurrencyTrace!;
      const el = document.querySelector('.timeline') as HTMLElement;
      const canvas = document.querySelector('.lanes-canvas') as HTMLCanvasElement;
      const r = canvas.getBoundingClientRect();
      const nextFrame = (): Promise<number> => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame((ts) => res(ts))));
      await nextFrame();
      const latency: number[] = [];
      const before = hook.frameMs().length;
      for (let i = 0; i < steps; i++) {
        const x = r.left + r.width * (0.2 + 0.6 * ((i * 37) % 100) / 100);
        const y = r.top + 60;
        const phase = i % 10;
        const start = performance.now();
        if (phase < 4) el.dispatchEvent(new WheelEvent('wheel', { deltaY: -120, ctrlKey: true, clientX: x, clientY: y, bubbles: true, cancelable: true }));
        else if (phase < 6) el.dispatchEvent(new WheelEvent('wheel', { deltaY: 200 * (phase === 4 ? 1 : -1), shiftKey: true, clientX: x, clientY: y, bubbles: true, cancelable: true }));
        else if (phase < 8) {
          const key = phase === 6 ? 'd' : 's';
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
          document.body.dispatchEvent(new KeyboardEvent('keyup', { key, bubbles: true }));
        } else el.dispatchEvent(new WheelEvent('wheel', { deltaY: 150, ctrlKey: true, clientX: x, clientY: y, bubbles: true, cancelable: true }));
        await new Promise((res) => requestAnimationFrame(() => res(null)));
        latency.push(performance.now() - start);
        await nextFrame();
      }
      const view = hook.layout(1).view;
      return { latency, draw: hook.frameMs().slice(before), view };
    }, STEPS);
    // Held keys (W, D, S, A: 0.75 s each): the app draws every animation frame; how regular are they?
    const held = await page.evaluate(async () => {
      const hook = window.__concurrencyTrace!;
      hook.fit();
      const stamps: number[] = [];
      let on = true;
      const tick = (ts: number): void => {
        stamps.push(ts);
        if (on) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const before = hook.frameMs().length;
      for (const key of ['w', 'd', 's', 'a']) {
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
        await new Promise((res) => setTimeout(res, 750));
        document.body.dispatchEvent(new KeyboardEvent('keyup', { key, bubbles: true }));
      }
      on = false;
      const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
      return { gaps, draw: hook.frameMs().slice(before) };
    });
    const { latency, draw } = result;
    console.log(`events: ${store.length.toLocaleString('en-US')}; snapshot to first frame: ${loadMs} ms`);
    console.log(`draw time per frame (ms): median ${pct(draw, 50).toFixed(2)}, p95 ${pct(draw, 95).toFixed(2)}, max ${Math.max(...draw).toFixed(2)} over ${draw.length} frames`);
    console.log(`input → next frame (ms): median ${pct(latency, 50).toFixed(2)}, p95 ${pct(latency, 95).toFixed(2)}, max ${Math.max(...latency).toFixed(2)} over ${latency.length} steps`);
    const long = held.gaps.filter((g) => g > 1000 / 60 * 1.5).length;
    console.log(`held keys, frame interval (ms): median ${pct(held.gaps, 50).toFixed(2)}, p95 ${pct(held.gaps, 95).toFixed(2)}; ${long} of ${held.gaps.length} frames late (> 25 ms); draw median ${pct(held.draw, 50).toFixed(2)}, p95 ${pct(held.draw, 95).toFixed(2)}`);
    console.log(`final view: ${((result.view.v1 - result.view.v0) / 1e6).toFixed(3)} ms of ${((result.view.t1 - result.view.t0) / 1e6).toFixed(0)} ms`);
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
