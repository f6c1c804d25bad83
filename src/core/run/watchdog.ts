/**
 * If the launcher dies (SIGKILL, a crash, an out-of-memory kill), nothing it
 * planned to do at the end happens: the traced program's processes would run
 * on and the run directory would stay. So every run has a watchdog: a tiny
 * Python process in a session of its own (terminal signals and group kills
 * aimed at the launcher do not reach it) that holds one end of a pipe whose
 * other end only the launcher has. When the pipe closes without the word
 * "done", the launcher is gone: the watchdog ends the run's processes (every
 * process whose environment carries the run's token, and their descendants;
 * SIGTERM, then SIGKILL for what is left after a grace period) and removes
 * the run directory. "end" asks it to end the processes while the launcher
 * lives (after SIGQUIT; the launcher then saves the trace and removes the
 * directory itself); "done" lets it exit quietly.
 *
 * It costs one Python start-up (-I -S: no site, ~10 ms) that runs beside
 * the program, and a few MB while it waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';

// Python 3.8+, standard library only; runs with -I -S.
const WATCHDOG = String.raw`
import os, shutil, signal, sys, time
run_dir, token = sys.argv[1], sys.argv[2].encode()
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTERM, signal.SIGTSTP):
    signal.signal(s, signal.SIG_IGN)
word = b''
while True:
    try:
        chunk = os.read(0, 64)
    except InterruptedError:
        continue
    except OSError:
        chunk = b''
    if not chunk:
        break
    word += chunk
    if b'done' in word or b'end' in word:
        break
if b'done' in word:
    sys.exit(0)
me = os.getpid()
mark = b'CONCURRENCY_TRACE_TOKEN=' + token + b'\0'
def run_processes():
    marked, children = set(), {}
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        try:
            with open('/proc/%d/stat' % pid, 'rb') as f:
                stat = f.read()
            fields = stat[stat.rindex(b')') + 2:].split()
            if fields[0] == b'Z':
                continue
            children.setdefault(int(fields[1]), []).append(pid)
            with open('/proc/%d/environ' % pid, 'rb') as f:
                env = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if env.startswith(mark) or (b'\0' + mark) in env:
            marked.add(pid)
    found, todo = set(marked), list(marked)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found and child != me:
                found.add(child)
                todo.append(child)
    return found
def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
pids = run_processes()
signal_all(pids, signal.SIGTERM)
deadline = time.monotonic() + 1.5
while pids and time.monotonic() < deadline:
    time.sleep(0.05)
    pids = run_processes()
for _ in range(3):
    pids = run_processes()
    if not pids:
        break
    signal_all(pids, signal.SIGKILL)
    time.sleep(0.05)
if b'end' not in word:
    shutil.rmtree(run_dir, ignore_errors=True)
`;

export class Watchdog {
  private readonly child: ChildProcess | undefined;
  private readonly exited: Promise<void>;

  constructor(python: string, runDir: string, token: string) {
    let child: ChildProcess | undefined;
    try {
      child = spawn(python, ['-I', '-S', '-c', WATCHDOG, runDir, token], {
        // This process's environment (an interpreter may need LD_LIBRARY_PATH…), never a run's token.
        stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: { ...process.env, CONCURRENCY_TRACE_TOKEN: '', CONCURRENCY_TRACE_DIR: '' },
      });
    } catch {
      child = undefined;
    }
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      if (!child) return resolve();
      child.once('error', () => resolve());
      child.once('exit', () => resolve());
    });
    // Neither the watchdog nor its pipe keeps this process alive.
    child?.unref();
    (child?.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child?.stdin?.on('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async say(word: string): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return;
    await new Promise<void>((resolve) => {
      stdin.write(word, () => resolve());
    });
    stdin.end();
  }

  /** The run ended normally: the watchdog exits without touching anything. */
  async release(): Promise<void> {
    await this.say('done');
  }

  /** Ends the run's remaining processes, and returns once they are gone. */
  async endRun(timeoutMs = 5000): Promise<void> {
    // Waited for: both must keep this process alive meanwhile (unreferenced, Node would just exit).
    this.child?.ref();
    let timer: NodeJS.Timeout | undefined;
    await this.say('end');
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
