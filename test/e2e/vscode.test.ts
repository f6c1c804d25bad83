/**
 * End to end in a real VS Code workbench (code-server + headless Chromium):
 * the packaged .vsix installed into a fresh code-server, a workspace of the
 * examples, "Run with Concurrency Trace" from the command palette (no Python
 * extension: the fallback interpreter on PATH), the script's output in the
 * terminal, the timeline webview's lanes / spans / arrows / CPU through its
 * test hook, Stop on a script that runs forever (no process left), and a
 * saved .ctrace opened from the explorer in the custom editor; F5 on a
 * workspace launch.json (type concurrency-trace) and the debug toolbar's
 * Stop; the walkthrough's link that opens and traces a bundled example.
 * Screenshots of every step: test-artifacts/e2e/*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import type { LayoutInfo } from '../../webview/testHook';
import {
  ARTIFACTS, CodeServer, ROOT, aliveProcesses, ensureInstalled, launchBrowser, packageVsix, terminalText, timelineFrames, waitFor, WORKSPACE_SETTINGS,
} from './codeServer';

const FOREVER = `"""Runs until stopped: a thread that takes a lock, a spawned child that starts a grandchild."""
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time

PIDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forever.pids")


def record():
    with open(PIDS, "a") as f:
        f.write(f"{os.getpid()}\\n")


def child():
    record()
    subprocess.Popen([sys.executable, "-c", "import os, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()}\\\\n'); time.sleep(10**6)", PIDS])
    while True:
        time.sleep(0.2)


def spin(lock):
    while True:
        with lock:
            time.sleep(0.05)


if __name__ == "__main__":
    record()
    lock = threading.Lock()
    threading.Thread(target=spin, args=(lock,), name="spinner", daemon=True).start()
    p = mp.get_context("spawn").Process(target=child, name="forever-child")
    p.start()
    i = 0
    while True:
        print(f"tick {i}", flush=True)
        i += 1
        time.sleep(0.3)
`;

/** Run by F5 from the workspace's launch.json: prints what the configuration gave it, starts a process and a thread. */
const LAUNCH_PROBE = `import os
import sys
import threading
from multiprocessing import Process


def work():
    pass


if __name__ == "__main__":
    print("argv", sys.argv[1:], "env", os.environ.get("CT_E2E"), "cwd", os.path.basename(os.getcwd()), flush=True)
    p = Process(target=work, name="probe-child")
    p.start()
    p.join()
    t = threading.Thread(target=work, name="probe-thread")
    t.start()
    t.join()
    print("launch probe done")
`;

const LAUNCH_JSON = {
  version: '0.2.0',
  configurations: [
    {
      name: 'Trace the launch probe', type: 'concurrency-trace', request: 'launch',
      program: '${workspaceFolder}/launch_probe.py', args: ['--n', '3'], cwd: '${workspaceFolder}/probe_cwd', env: { CT_E2E: 'from launch.json' },
    },
    { name: 'Trace forever', type: 'concurrency-trace', request: 'launch', program: '${workspaceFolder}/forever.py' },
  ],
};

/** A pytest test file for the "Trace test" CodeLens. */
const TEST_FILE = `import threading


def test_threads_share_a_counter():
    counter = [0]
    lock = threading.Lock()

    def work():
        for _ in range(50):
            with lock:
                counter[0] += 1

    threads = [threading.Thread(target=work, name=f"adder-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter[0] == 100
`;

function kindTotals(l: LayoutInfo): Record<string, number> {
  const all: Record<string, number> = {};
  for (const byKind of Object.values(l.spans.counts)) for (const [k, n] of Object.entries(byKind)) all[k] = (all[k] ?? 0) + n;
  return all;
}

describe('end to end in code-server', { timeout: 9 * 60_000 }, () => {
  let tmp: string;
  let ws: string;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let step = 0;
  const pageErrors: string[] = [];
  /** Requests that left loopback (the workbench, its webviews and the extension must need no network). */
  const external: string[] = [];
  /** The run panel's lanes (label · detail), to compare the saved trace's editor with. */
  let runLanes: string[] = [];
  /** The stopped run's process lanes (label · detail). */
  let stoppedProcesses: string[] = [];

  async function shot(name: string): Promise<void> {
    step++;
    await page.screenshot({ path: path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`) }).catch(() => undefined);
  }

  /** Runs a command from the command palette by its full title ("Category: Title"). */
  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    // The row whose label is exactly the title (not "… (Arguments…)").
    const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
    await row.first().waitFor({ state: 'visible', timeout: 15_000 });
    await row.first().click();
  }

  /** Opens a workspace file with Quick Open and waits for its tab. */
  async function quickOpen(relative: string): Promise<void> {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(relative);
    const base = path.basename(relative);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.locator(`.tabs-container .tab.active[aria-label^="${base}"]`).waitFor({ timeout: 15_000 });
  }

  async function frameFor(what: string, pred: (s: { title: string; status: string; ready: boolean }) => boolean, timeoutMs = 30_000): Promise<Frame> {
    const hit = await waitFor(what, async () => (await timelineFrames(page)).find(pred), timeoutMs);
    return hit.frame;
  }

  async function layoutOf(frame: Frame): Promise<LayoutInfo> {
    await frame.evaluate('window.__concurrencyTrace.fit()');
    return (await frame.evaluate('window.__concurrencyTrace.layout(20000)')) as LayoutInfo;
  }

  before(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const t0 = Date.now();
    const installed = ensureInstalled();
    const t1 = Date.now();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-'));
    const vsix = packageVsix(tmp);
    const t2 = Date.now();
    ws = path.join(tmp, 'workspace');
    fs.cpSync(path.join(ROOT, 'examples'), ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'forever.py'), FOREVER);
    // The deadlock example without its timeouts: it hangs until stopped.
    const example = fs.readFileSync(path.join(ws, 'deadlock.py'), 'utf8');
    const forever = example.replace(/\.acquire\(timeout=5\)/g, '.acquire()');
    assert.equal((forever.match(/\.acquire\(\)/g) ?? []).length, 2, 'both timeouts removed');
    fs.writeFileSync(path.join(ws, 'deadlock_forever.py'), forever);
    fs.mkdirSync(path.join(ws, '.vscode'));
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify(WORKSPACE_SETTINGS, null, 2));
    fs.writeFileSync(path.join(ws, '.vscode', 'launch.json'), JSON.stringify(LAUNCH_JSON, null, 2));
    fs.writeFileSync(path.join(ws, 'launch_probe.py'), LAUNCH_PROBE);
    fs.mkdirSync(path.join(ws, 'probe_cwd'));
    fs.writeFileSync(path.join(ws, 'test_counter.py'), TEST_FILE);
    server = new CodeServer(installed, path.join(tmp, 'user-data'), path.join(tmp, 'extensions'));
    const out = server.installExtension(vsix);
    assert.match(out, /concurrency-trace.*(successfully installed|was successfully)/i, out);
    await server.start();
    const t3 = Date.now();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      const u = r.url();
      // A webview's resources (https://*.vscode-resource.vscode-cdn.net/…) are answered by its service worker from the workbench, on loopback.
      if (/^(data:|blob:|vscode-webview:)/.test(u) || /^https:\/\/[^/]+\.vscode-resource\.vscode-cdn\.net\//.test(u) || u.startsWith(server.url)) return;
      external.push(u);
    });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The explorer lists the workspace once the workbench has restored.
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'producer_consumer.py' }).waitFor({ timeout: 60_000 });
    console.log(`e2e setup: install check ${t1 - t0} ms, package ${t2 - t1} ms, install + start code-server ${t3 - t2} ms, workbench ${Date.now() - t3} ms`);
    await shot('workbench');
  });

  after(async () => {
    await page?.screenshot({ path: path.join(ARTIFACTS, 'zz-last.png') }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (tmp && !process.env.CONCURRENCY_TRACE_E2E_KEEP) {
      // What a failed Stop may have left (a real failure is asserted in its test; never leak it).
      for (const p of [...aliveProcesses(path.join(tmp, 'workspace', 'forever.py')), ...aliveProcesses(path.join(tmp, 'workspace', 'deadlock_forever.py'))]) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('runs producer_consumer.py from the command palette: output in the terminal, lanes, spans, arrows and CPU in the timeline', async () => {
    await quickOpen('producer_consumer.py');
    await shot('producer-consumer-open');
    await runCommand('Concurrency Trace: Run with Concurrency Trace');

    // The script's output, in the run's terminal.
    await page.locator('.terminal-tab, .single-terminal-tab, .tabs-list .monaco-list-row', { hasText: 'Concurrency Trace: producer_consumer.py' }).first().waitFor({ timeout: 30_000 });
    const text = await waitFor('the consumers’ output and the exit line in the terminal', async () => {
      const t = await terminalText(page);
      return /Process exited with code 0/.test(t) ? t : '';
    }, 60_000);
    const got = [...text.matchAll(/consumer-(\d) got (\d)/g)].map((m) => Number(m[2])).sort();
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7], text);
    await shot('producer-consumer-terminal');

    // The run's timeline webview (nested iframes), through its test hook.
    const frame = await frameFor('the run’s timeline webview', (s) => s.title === 'producer_consumer.py' && s.ready && s.status !== 'running', 60_000);
    const l = await layoutOf(frame);
    const procs = l.lanes.filter((x) => x.kind === 'process' && !x.dim);
    assert.equal(procs.length, 4, procs.map((p) => p.label).join(', '));
    assert.equal(procs[0].label, 'producer_consumer.py');
    const threads = l.lanes.filter((x) => x.kind === 'thread' && !x.dim);
    assert.ok(new Set(threads.map((t) => t.pid)).size >= 4, `a thread lane in each process: ${threads.map((t) => `${t.label}@${t.pid}`).join(', ')}`);
    const kinds = kindTotals(l);
    assert.equal(kinds['lock.acquire'], 8, JSON.stringify(kinds));
    assert.equal(kinds['queue.get'], 10, JSON.stringify(kinds));
    assert.ok(kinds['queue.put'] >= 10, JSON.stringify(kinds));
    assert.equal(kinds['process.spawn'], 3, JSON.stringify(kinds));
    const arrows = new Set(l.arrows.map((a) => a.kind));
    assert.ok(arrows.has('spawn') && arrows.has('join'), [...arrows].join(','));
    assert.ok(arrows.has('queue') || arrows.has('pipe'), `a queue hand-off arrow: ${[...arrows].join(',')}`);
    assert.ok(l.cpu.cores > 0 && l.cpu.points > 0, `CPU per core: ${JSON.stringify(l.cpu)}`);
    assert.equal(l.stdout, 16, 'the consumers’ prints (text + newline)');
    // The lanes' labels are real DOM with aria labels.
    const aria = (await frame.evaluate(`Array.from(document.querySelectorAll('.lane-label')).map((e) => e.getAttribute('aria-label'))`)) as string[];
    assert.ok(aria.some((a) => /^Process producer_consumer\.py/.test(a)), aria.join(' | '));
    // A process whose only thread is its MainThread is one row, labelled as the process.
    assert.ok(aria.filter((a) => /^Process /.test(a)).length >= 4, aria.join(' | '));
    runLanes = l.lanes.map((x) => `${x.kind} ${x.label} · ${x.detail}`);
    await shot('producer-consumer-timeline');
  });

  it('stops a script that runs forever: no process of it is left', async () => {
    const script = path.join(ws, 'forever.py');
    const pidsFile = path.join(ws, 'forever.pids');
    await quickOpen('forever.py');
    await runCommand('Concurrency Trace: Run with Concurrency Trace');
    await waitFor('ticks in the terminal', async () => /tick 3/.test(await terminalText(page)), 60_000);
    // main, the spawned child and its grandchild have all started.
    const pids = await waitFor('three pids in forever.pids', () => {
      const p = fs.existsSync(pidsFile) ? fs.readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean).map(Number) : [];
      return p.length >= 3 ? p : null;
    }, 30_000);
    const before = aliveProcesses(script, pids);
    assert.ok(before.length >= 3, JSON.stringify(before));
    const frame = await frameFor('the running timeline', (s) => s.title === 'forever.py' && s.ready && s.status === 'running', 30_000);
    await waitFor('lanes of the running script', async () => (await layoutOf(frame)).lanes.filter((x) => x.kind === 'process').length >= 3, 30_000);
    await shot('forever-running');

    // The panel's Stop button.
    await frame.locator('#stop').click();
    await waitFor('the run to be stopped', async () => {
      const s = (await timelineFrames(page)).find((x) => x.title === 'forever.py');
      return s && s.status !== 'running';
    }, 30_000);
    const left = await waitFor('no process of forever.py alive', () => {
      const alive = aliveProcesses(script, pids);
      return alive.length === 0 ? 'none' : null;
    }, 15_000).catch(() => JSON.stringify(aliveProcesses(script, pids)));
    assert.equal(left, 'none', `left alive after Stop: ${left}`);
    await waitFor('“Stopped” in the terminal', async () => /Stopped/.test(await terminalText(page)), 15_000);
    await shot('forever-stopped');
    // The run's last message (processes the stop ended) follows the "Stopped" line.
    const processLanes = async (): Promise<string[]> =>
      (await layoutOf(frame)).lanes.filter((x) => x.kind === 'process').map((x) => `${x.label} · ${x.detail}`);
    stoppedProcesses = await waitFor('no process lane of the stopped run says running', async () => {
      const lanes = await processLanes();
      return lanes.some((l) => /running/.test(l)) ? null : lanes;
    }, 10_000).catch(processLanes);
    // A stopped run's trace is saved too.
    await waitFor('the stopped run’s trace in traces/', () => fs.existsSync(path.join(ws, 'traces')) && fs.readdirSync(path.join(ws, 'traces')).some((n) => n.startsWith('forever') && n.endsWith('.ctrace')), 15_000);
  });

  it('labels no process of a stopped run as still running', () => {
    assert.ok(stoppedProcesses.length >= 3, stoppedProcesses.join(' | '));
    assert.deepEqual(stoppedProcesses.filter((p) => /running/.test(p)), []);
  });

  it('opens the saved trace from the explorer in the custom editor with the same lanes', async () => {
    const traces = path.join(ws, 'traces');
    const saved = await waitFor('a saved trace of producer_consumer.py in the workspace', () => {
      const f = fs.existsSync(traces) ? fs.readdirSync(traces).filter((n) => n.endsWith('.ctrace') && n.includes('producer_consumer')) : [];
      return f[0];
    }, 15_000);
    const explorer = page.locator('.explorer-folders-view');
    const folderRow = explorer.locator('.monaco-list-row[aria-level="1"]', { hasText: /^traces$/ });
    await waitFor('the traces folder in the explorer', async () => (await folderRow.count()) > 0, 20_000);
    if ((await folderRow.first().getAttribute('aria-expanded')) !== 'true') await folderRow.first().click();
    const fileRow = explorer.locator('.monaco-list-row', { hasText: saved });
    await fileRow.first().waitFor({ timeout: 15_000 });
    await shot('explorer-trace');
    await fileRow.first().dblclick();

    const frame = await frameFor('the .ctrace custom editor', (s) => s.title === saved && s.ready && s.status === 'saved', 60_000);
    await page.locator(`.tabs-container .tab.active[aria-label^="${saved}"]`).waitFor({ timeout: 15_000 });
    const l = await layoutOf(frame);
    const procs = l.lanes.filter((x) => x.kind === 'process' && !x.dim);
    assert.equal(procs.length, 4, procs.map((p) => p.label).join(', '));
    assert.equal(procs[0].label, 'producer_consumer.py');
    const kinds = kindTotals(l);
    assert.equal(kinds['lock.acquire'], 8, JSON.stringify(kinds));
    assert.equal(kinds['queue.get'], 10, JSON.stringify(kinds));
    assert.ok(l.arrows.length > 0 && l.cpu.cores > 0 && l.cpu.points > 0);
    // The same view as the run's panel: the same lanes, in the same order.
    assert.deepEqual(l.lanes.map((x) => `${x.kind} ${x.label} · ${x.detail}`), runLanes);
    const aria = (await frame.evaluate(`Array.from(document.querySelectorAll('.lane-label')).map((e) => e.getAttribute('aria-label'))`)) as string[];
    assert.ok(aria.some((a) => /^Process producer_consumer\.py/.test(a)), aria.join(' | '));
    await shot('ctrace-editor');
  });

  it('runs deadlock.py from the palette: the Findings pane lists the deadlock while both threads hang, and the run ends by itself', async () => {
    await quickOpen('deadlock.py');
    await runCommand('Concurrency Trace: Run with Concurrency Trace');
    const frame = await frameFor('the deadlock run’s timeline', (s) => s.title === 'deadlock.py' && s.ready, 60_000);
    // Both threads wait for 5 s: the finding must be listed while they do.
    await waitFor('a deadlock in the Findings pane while the program hangs', async () => {
      const st = (await frame.evaluate('({ ids: window.__concurrencyTrace.findingIds(), status: window.__concurrencyTrace.state.status })')) as { ids: string[]; status: string };
      if (st.status !== 'running') throw new Error(`the run is ${st.status} and no deadlock was listed: ${st.ids.join(', ')}`);
      return st.ids.some((id) => id.startsWith('deadlock'));
    }, 20_000, 100);
    const bar = (await frame.locator('.findings-bar').textContent()) ?? '';
    assert.match(bar, /Findings\s*\d/);
    assert.match(bar, /deadlock/);
    await shot('deadlock-live');
    await waitFor('the example to end by itself (a timeout gives up)', async () => /done/.test(await terminalText(page)) && /Process exited with code 0/.test(await terminalText(page)), 30_000);
    await shot('deadlock-ended');
  });

  it('a deadlock that hangs for good: Stop and keep trace keeps it; Problems shows it at both waits; Go to source opens the line', async () => {
    const lines = fs.readFileSync(path.join(ws, 'deadlock_forever.py'), 'utf8').split('\n');
    const waitLines = [lines.findIndex((l) => l.includes('if lock_b.acquire(')) + 1, lines.findIndex((l) => l.includes('if lock_a.acquire(')) + 1];
    assert.ok(waitLines.every((l) => l > 0));
    await quickOpen('deadlock_forever.py');
    await runCommand('Concurrency Trace: Run with Concurrency Trace');
    const frame = await frameFor('the hanging run’s timeline', (s) => s.title === 'deadlock_forever.py' && s.ready, 60_000);
    await waitFor('a deadlock in the Findings pane', async () => ((await frame.evaluate('window.__concurrencyTrace.findingIds()')) as string[]).some((id) => id.startsWith('deadlock')), 20_000, 100);
    await frame.locator('.findings-toggle').click();
    assert.match((await frame.locator('.findings-list li.finding[data-kind="deadlock"] .finding-msg').first().textContent()) ?? '', /Deadlock/);
    await frame.locator('#stop-keep').waitFor({ state: 'visible', timeout: 5_000 });
    // VS Code offers the same.
    await page.locator('.notification-toast', { hasText: 'deadlock_forever.py is deadlocked' }).first().waitFor({ timeout: 10_000 });
    await shot('hang-offers-stop');
    await frame.locator('#stop-keep').click();
    await waitFor('the hanging run to be stopped', async () => (await timelineFrames(page)).find((x) => x.title === 'deadlock_forever.py' && x.status === 'stopped'), 30_000);
    await waitFor('“Stopped” in the terminal', async () => /Stopped/.test(await terminalText(page)), 15_000);
    const kept = (await frame.evaluate('window.__concurrencyTrace.findingIds()')) as string[];
    const id = kept.find((x) => x.startsWith('deadlock'));
    assert.ok(id, `the deadlock stays after Stop: ${kept.join(', ')}`);
    assert.equal(await frame.locator('#stop-keep').isVisible(), false);
    await waitFor('the stopped run’s trace in traces/', () => fs.readdirSync(path.join(ws, 'traces')).some((n) => n.startsWith('deadlock_forever') && n.endsWith('.ctrace')), 15_000);
    await shot('hang-stopped');

    // The Problems panel: the finding at the lines of the two waits.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+M');
    // Only this run's deadlock (ended by Stop): the list is virtual, and other findings come first.
    const filter = page.getByPlaceholder(/^Filter \(e\.g\./).first();
    await filter.waitFor({ state: 'visible', timeout: 10_000 });
    await filter.fill('SIGTERM');
    const rows = page.locator('.markers-panel .monaco-list-row');
    let seen: string[] = [];
    const problems = await waitFor('the deadlock in the Problems panel at both waits', async () => {
      // The list is virtual (each problem shows its related places too): read it at its top and,
      // scrolled with End, at its bottom.
      const top = await rows.allTextContents();
      if (top.length > 0) {
        await rows.first().click();
        await page.keyboard.press('End');
      }
      const texts = (seen = [...top, ...(await rows.allTextContents())]);
      const at = waitLines.map((line) => texts.find((t) => /Deadlock/.test(t) && t.includes(`[Ln ${line},`)));
      return at.every(Boolean) ? texts : null;
    }, 20_000).catch(async (e: unknown) => {
      await shot('hang-problems-missing');
      throw new Error(`${String(e)}; rows: ${seen.join(' | ')}`);
    });
    assert.ok(problems.some((t) => /deadlock_forever\.py/.test(t)), problems.join(' | '));
    assert.ok(problems.some((t) => /Concurrency Trace/.test(t)), `source shown: ${problems.join(' | ')}`);
    await shot('hang-problems');

    // Go to source from the finding's details.
    await frame.evaluate(`window.__concurrencyTrace.selectFinding(${JSON.stringify(id)})`);
    const go = frame.locator('.finding-sites .finding-go').first();
    await go.waitFor({ timeout: 10_000 });
    const line = Number(await go.getAttribute('data-line'));
    await shot('hang-finding-selected');
    await go.click();
    // The editor that already showed the file (not a second copy), with the cursor on the line.
    await waitFor('deadlock_forever.py focused', async () => /^deadlock_forever\.py/.test((await page.locator('.editor-group-container.active .tab.active').first().getAttribute('aria-label')) ?? ''), 15_000);
    assert.equal(await page.locator('.tabs-container .tab[aria-label^="deadlock_forever.py"]').count(), 1, 'one editor of the file');
    await waitFor(`the cursor on line ${line}`, async () => (await page.locator('[id="status.editor.selection"]').textContent())?.includes(`Ln ${line},`), 15_000);
    await shot('hang-go-to-source');
  });

  it('runs bank_account.py from the palette: both processes’ reads and writes of the shared balance are on the timeline, and the Findings pane names the data race on it', async () => {
    await quickOpen('bank_account.py');
    await runCommand('Concurrency Trace: Run with Concurrency Trace');
    const frame = await frameFor('the bank run’s timeline', (s) => s.title === 'bank_account.py' && s.ready && s.status !== 'running', 90_000);
    await waitFor('the final balance in the terminal', async () => /final balance: -?\d+/.test(await terminalText(page)), 30_000);
    const l = await layoutOf(frame);
    const procs = l.lanes.filter((x) => x.kind === 'process' && !x.dim);
    assert.equal(procs.length, 3, procs.map((p) => p.label).join(', '));
    const kinds = kindTotals(l);
    assert.ok(kinds['shared.read'] >= 2000 && kinds['shared.write'] >= 2000, JSON.stringify(kinds));
    // Unordered read-modify-writes of one Value by two processes: a data race, whatever the balance.
    await waitFor('the data race in the Findings pane', async () => ((await frame.evaluate('window.__concurrencyTrace.findingIds()')) as string[]).some((id) => id.startsWith('data-race')), 20_000, 100);
    await frame.locator('.findings-toggle').click();
    const race = (await frame.locator('.findings-list li.finding[data-kind="data-race"] .finding-msg').first().textContent()) ?? '';
    assert.match(race, /balance/, race);
    await shot('bank-timeline');
  });

  /** The floating debug toolbar, shown while a debug session runs. */
  const debugToolbar = (): ReturnType<Page['locator']> => page.locator('.debug-toolbar');

  it('F5 runs the workspace’s launch configuration traced: its args, env and cwd reach the script, its lanes are on the timeline, and the session ends with the run', async () => {
    await quickOpen('launch_probe.py');
    await page.keyboard.press('F5');
    await page.locator('.terminal-tab, .single-terminal-tab, .tabs-list .monaco-list-row', { hasText: 'Concurrency Trace: launch_probe.py' }).first().waitFor({ timeout: 60_000 });
    // (terminalText holds every terminal's rows: this run's exit line is the one after its output.)
    const text = await waitFor('the probe’s output and the exit line in the terminal', async () => {
      const t = await terminalText(page);
      return /launch probe done\s*Process exited with code 0/.test(t) ? t : '';
    }, 60_000);
    assert.match(text, /argv \['--n', '3'\] env from launch\.json cwd probe_cwd/, text);
    assert.match(text, /launch probe done/);
    const frame = await frameFor('the launched run’s timeline', (s) => s.title === 'launch_probe.py' && s.ready && s.status !== 'running', 60_000);
    const l = await layoutOf(frame);
    const procs = l.lanes.filter((x) => x.kind === 'process' && !x.dim);
    assert.equal(procs.length, 2, procs.map((p) => p.label).join(', '));
    assert.ok(l.lanes.some((x) => x.kind === 'thread' && x.label === 'probe-thread'), l.lanes.map((x) => x.label).join(', '));
    assert.ok(l.arrows.some((a) => a.kind === 'spawn'), 'the spawn arrow');
    await shot('f5-launch-timeline');
    // The debug session is the run: it has ended with it.
    await waitFor('the debug toolbar to go once the run ended', async () => !(await debugToolbar().isVisible()), 15_000);
    await waitFor('the launched run’s trace in traces/', () => fs.readdirSync(path.join(ws, 'traces')).some((n) => n.startsWith('launch_probe') && n.endsWith('.ctrace')), 15_000);
  });

  it('the debug toolbar’s Stop ends a launched run that runs forever: no process of it is left', async () => {
    const script = path.join(ws, 'forever.py');
    const pidsFile = path.join(ws, 'forever.pids');
    const earlier = fs.existsSync(pidsFile) ? fs.readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean).length : 0;
    await runCommand('Debug: Select and Start Debugging');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Trace forever' });
    await row.first().waitFor({ state: 'visible', timeout: 15_000 });
    await row.first().click();
    const pids = await waitFor('three new pids in forever.pids', () => {
      const p = fs.readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean).map(Number).slice(earlier);
      return p.length >= 3 ? p : null;
    }, 60_000);
    const stopButton = debugToolbar().locator('.action-item .codicon-debug-stop');
    await stopButton.waitFor({ state: 'visible', timeout: 15_000 });
    await shot('f5-forever-running');
    await stopButton.click();
    const left = await waitFor('no process of the launched forever.py alive', () => (aliveProcesses(script, pids).length === 0 ? 'none' : null), 20_000)
      .catch(() => JSON.stringify(aliveProcesses(script, pids)));
    assert.equal(left, 'none', `left alive after the toolbar's Stop: ${left}`);
    await waitFor('the debug toolbar to go', async () => !(await debugToolbar().isVisible()), 15_000);
    await waitFor('the launched run’s panel to say stopped', async () => (await timelineFrames(page)).find((x) => x.title === 'forever.py' && x.status === 'stopped'), 15_000);
    await waitFor('“Stopped” after the ticks in the terminal', async () => /tick \d+\s*Stopped/.test(await terminalText(page)), 15_000);
    await shot('f5-forever-stopped');
  });

  it('the walkthrough’s “Trace: Pool.map” opens the bundled example and runs it traced', async () => {
    await runCommand('Welcome: Open Walkthrough...');
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with Concurrency Trace' });
    await pick.first().waitFor({ state: 'visible', timeout: 15_000 });
    await pick.first().click();
    const step = page.locator('.getting-started-step', { hasText: 'Processes, pools and the GIL' });
    await step.first().waitFor({ timeout: 20_000 });
    await step.first().click();
    const link = page.locator('.getting-started-step', { hasText: 'Processes, pools and the GIL' }).getByText('Trace: Pool.map', { exact: true });
    await link.first().waitFor({ state: 'visible', timeout: 15_000 });
    await shot('walkthrough');
    await link.first().click();
    await page.locator('.tabs-container .tab[aria-label^="pool_square.py"]').first().waitFor({ timeout: 30_000 });
    await waitFor('the pool’s result and the exit line in the terminal', async () => {
      const t = await terminalText(page);
      return /\[0, 1, 4, 9, 16, 25\]\s*Process exited with code 0/.test(t);
    }, 60_000);
    const frame = await frameFor('the example’s timeline', (s) => s.title === 'pool_square.py' && s.ready && s.status !== 'running', 60_000);
    const l = await layoutOf(frame);
    assert.ok(l.lanes.filter((x) => x.kind === 'process' && !x.dim).length >= 2, l.lanes.map((x) => x.label).join(', '));
    await shot('walkthrough-pool');
  });

  it('the “Trace test” CodeLens runs the test with python -m pytest, traced: the test passes and its threads are on the timeline', async () => {
    await quickOpen('test_counter.py');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Trace test' });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    await shot('pytest-codelens');
    await lens.first().click();
    const text = await waitFor('pytest’s summary and the exit line in the terminal', async () => {
      const t = await terminalText(page);
      return /1 passed[\s\S]*Process exited with code 0/.test(t) ? t : '';
    }, 90_000);
    assert.match(text, /-m pytest test_counter\.py::test_threads_share_a_counter -x -q/, text);
    const frame = await frameFor('the test run’s timeline', (s) => s.title === 'test_counter.py::test_threads_share_a_counter' && s.ready && s.status !== 'running', 60_000);
    const l = await layoutOf(frame);
    const threads = l.lanes.filter((x) => x.kind === 'thread').map((x) => x.label);
    assert.ok(threads.includes('adder-0') && threads.includes('adder-1'), threads.join(', '));
    await shot('pytest-timeline');
  });

  it('left no page errors from the extension’s webviews, and nothing left loopback', () => {
    const ours = pageErrors.filter((e) => /concurrency|timeline|webview\.js/i.test(e));
    assert.deepEqual(ours, []);
    assert.deepEqual(external, []);
  });
});
