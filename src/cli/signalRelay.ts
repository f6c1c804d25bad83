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
 *
 * The listeners are in place before the script is started (arm), not once it
 * has been: between spawn() and the end of the run's set-up (collector,
 * sampler: tens of milliseconds, more on a loaded machine) the script can
 * already print, and a signal sent then would have ended the CLI alone by its
 * default action, leaving the script to the watchdog without its
 * KeyboardInterrupt. A signal that comes before the script's pid is known is
 * kept and relayed as soon as it is.
 */

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
/** What a terminal sends to its whole foreground process group by itself. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGHUP']);

export class SignalRelay {
  private target = 0;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  /** Received after arm() and before start(): relayed by start(). */
  private pending: NodeJS.Signals[] = [];
  /** SIGQUIT was received: end what the script leaves running. */
  endRemaining = false;
  /** The script's process has exited: its pid may be reused, nothing is sent to it any more. */
  private ended = false;

  constructor(private readonly terminalForeground: boolean) {}

  /** Takes the signals over before the script is started; they wait for start(). */
  arm(): void {
    if (this.handlers.size) return;
    for (const sig of RELAYED) {
      const handler = (): void => this.relay(sig);
      this.handlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  /** Relays to `pid` from now on, and what came before it was known. */
  start(pid: number): void {
    this.arm();
    this.target = pid;
    const early = this.pending;
    this.pending = [];
    for (const sig of early) this.send(sig);
  }

  /**
   * The script's process has exited: signals are no longer relayed (they are the
   * SaveGuard's from now on), but still taken, until stop(), so none ends the CLI by default.
   */
  scriptEnded(): void {
    this.ended = true;
  }

  private relay(sig: NodeJS.Signals): void {
    if (this.ended) return;
    if (sig === 'SIGQUIT') this.endRemaining = true;
    if (this.terminalForeground && FROM_TERMINAL.has(sig)) return;
    if (this.target) this.send(sig);
    else this.pending.push(sig);
  }

  private send(sig: NodeJS.Signals): void {
    try {
      process.kill(this.target, sig);
    } catch {
      // already gone
    }
  }

  /**
   * Gives the signals back. One that came while no script was started (it could not be launched)
   * then takes its default action on the CLI itself, as it would have without the relay.
   */
  stop(): void {
    for (const [sig, handler] of this.handlers) process.removeListener(sig, handler);
    this.handlers.clear();
    const unsent = this.target ? [] : this.pending;
    this.pending = [];
    this.target = 0;
    this.ended = false;
    for (const sig of unsent) {
      try {
        process.kill(process.pid, sig);
      } catch {
        // unknown to this platform
      }
    }
  }
}
