/**
 * The real VS Code workbench for the end-to-end test: code-server (from npm,
 * run by Node 24, both installed and cached by setup.sh) serving on
 * loopback, with fresh user-data and extensions folders, driven in the
 * system's headless Chromium through playwright-core. Nothing here downloads
 * a browser or a VS Code build.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
export const CHROMIUM = process.env.CONCURRENCY_TRACE_CHROMIUM || '/usr/bin/chromium';

export interface Installed {
  node24: string;
  codeServer: string;
}

/** Runs setup.sh (fast when the cache is there) and returns Node 24's and code-server's folders. */
export function ensureInstalled(): Installed {
  const out = execFileSync('bash', [path.join(__dirname, 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 9 * 60_000 });
  const get = (name: string): string => {
    const m = new RegExp(`^${name}=(.*)$`, 'm').exec(out);
    if (!m) throw new Error(`setup.sh did not print ${name}:\n${out}`);
    return m[1].trim();
  };
  const node24 = path.join(get('NODE24_DIR'), 'bin', 'node');
  const codeServer = path.join(get('CODE_SERVER_DIR'), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  return { node24, codeServer };
}

/** `npm run package` into dir; returns the .vsix path. */
export function packageVsix(dir: string): string {
  const vsix = path.join(dir, 'concurrency-trace-e2e.vsix');
  execFileSync('npm', ['run', 'package', '--', '--out', vsix], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 3 * 60_000 });
  if (!fs.existsSync(vsix)) throw new Error(`npm run package wrote no ${vsix}`);
  return vsix;
}

/** User settings: no trust prompt, no welcome page, no AI/chat, DOM terminal renderer (its text is in the DOM). */
export const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  // The Problems tree's sticky header would sit over the row the test clicks to scroll the list.
  'workbench.tree.enableStickyScroll': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.enablePersistentSessions': false,
  'window.commandCenter': false,
  'editor.minimap.enabled': false,
  'workbench.editor.enablePreview': false,
  'files.exclude': { '**/__pycache__': true, '**/*.pids': true, '**/.vscode': true },
};

/**
 * Workspace settings: saved traces of runs land in the workspace, where the explorer shows them.
 * (concurrencyTrace.traceFolder is machine-overridable: in a remote window such as code-server's the
 * user settings' value is dropped once the workbench's configuration reaches the extension host.)
 */
export const WORKSPACE_SETTINGS = {
  'concurrencyTrace.traceFolder': '${workspaceFolder}/traces',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class CodeServer {
  private proc: ChildProcess | undefined;
  readonly log: string[] = [];
  url = '';

  constructor(private readonly installed: Installed, private readonly userData: string, private readonly extensions: string) {}

  private env(): NodeJS.ProcessEnv {
    // Node 24 first on PATH for code-server only; python3 stays what it is (the fallback interpreter path).
    return { ...process.env, PATH: `${path.dirname(this.installed.node24)}:${process.env.PATH ?? ''}`, CODE_SERVER_PARENT_PID: undefined, VSCODE_IPC_HOOK_CLI: undefined,
      // No extension gallery (code-server's default is Open VSX): nothing is looked up or downloaded.
      EXTENSIONS_GALLERY: '{}' };
  }

  installExtension(vsix: string): string {
    fs.mkdirSync(path.join(this.userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(this.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
    return execFileSync(this.installed.node24, [this.installed.codeServer, '--user-data-dir', this.userData, '--extensions-dir', this.extensions, '--install-extension', vsix], {
      env: this.env(), encoding: 'utf8', timeout: 120_000,
    });
  }

  async start(): Promise<string> {
    const port = await freePort();
    const proc = spawn(this.installed.node24, [this.installed.codeServer,
      '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--disable-getting-started-override', '--user-data-dir', this.userData, '--extensions-dir', this.extensions,
    ], { env: this.env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const collect = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.log.push(line);
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    this.url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${this.log.join('\n')}`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) return this.url;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`code-server did not answer on ${this.url}:\n${this.log.join('\n')}`);
  }

  /** Ends code-server and everything it started (its process group: extension host, terminals). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p?.pid || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    try {
      process.kill(-p.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  }
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run test/e2e/setup.sh (it installs Debian's chromium); nothing downloads a browser`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value; the last error or value goes into the message. */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 30_000, everyMs = 250): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

/** The webview frames (nested iframes) that run the timeline app, with their state. */
export async function timelineFrames(page: Page): Promise<{ frame: Frame; title: string; status: string; ready: boolean }[]> {
  const found = [];
  for (const frame of page.frames()) {
    if (frame.isDetached()) continue;
    try {
      const s = (await frame.evaluate(`(() => { const h = window.__concurrencyTrace; return h ? { title: h.state.title, status: h.state.status, ready: h.isReady() } : null; })()`)) as
        | { title: string; status: string; ready: boolean }
        | null;
      if (s) found.push({ frame, ...s });
    } catch {
      // detached or cross-process frame going away
    }
  }
  return found;
}

/** Text of the visible terminal (DOM renderer rows). */
export async function terminalText(page: Page): Promise<string> {
  return page.evaluate(`Array.from(document.querySelectorAll('.terminal-wrapper.active .xterm-rows > div, .xterm-rows > div')).map((d) => d.textContent).join('\\n')`) as Promise<string>;
}

/** Processes whose command line contains needle, or whose pid is in pids, still alive (zombies count as gone). */
export function aliveProcesses(needle: string, pids: number[] = []): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const state = /\)\s+(\S)/.exec(fs.readFileSync(`/proc/${name}/stat`, 'utf8'))?.[1];
      if (state === 'Z') continue;
      if (pids.includes(pid) || cmd.includes(needle)) out.push({ pid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
