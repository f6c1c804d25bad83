/**
 * Signals sent to the CLI are meant for the script it runs. When the CLI is
 * the foreground job of a terminal, the script is in its process group and
 * gets the terminal's own signals (Ctrl-C, Ctrl-\, hangup) directly: those
 * are not relayed, or the script would get them twice. Every other signal
 * the CLI gets (`kill -INT <cli>`, a CI runner's SIGTERM, SIGUSR1…) is
 * relayed to the script's process, as if it had been sent to `python s.py`.
 *
 * SIGQUIT also means "stop everything": once the script has exited, what it
 * left running is ended too (see TraceRunOptions.endRemaining).
 */

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
/** What a terminal sends to its whole foreground process group by itself. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGHUP']);

export class SignalRelay {
  private target = 0;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  /** SIGQUIT was received: end what the script leaves running. */
  endRemaining = false;

  constructor(private readonly terminalForeground: boolean) {}

  /** Starts relaying to `pid`. */
  start(pid: number): void {
    this.target = pid;
    for (const sig of RELAYED) {
      const handler = (): void => this.relay(sig);
      this.handlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  private relay(sig: NodeJS.Signals): void {
    if (sig === 'SIGQUIT') this.endRemaining = true;
    if (this.terminalForeground && FROM_TERMINAL.has(sig)) return;
    try {
      if (this.target) process.kill(this.target, sig);
    } catch {
      // already gone
    }
  }

  stop(): void {
    for (const [sig, handler] of this.handlers) process.removeListener(sig, handler);
    this.handlers.clear();
    this.target = 0;
  }
}
