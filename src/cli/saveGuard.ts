/**
 * Signals that reach the CLI after the script has ended, while the last
 * events are collected and the trace is saved. There is no script left to
 * relay them to, and their default action would end the CLI half-way: no
 * trace, a temp file left behind. So the trace is not given up on one signal:
 *
 * - the first SIGINT, SIGTERM, SIGQUIT or SIGHUP is told on stderr (what is
 *   being saved, how to stop) and the save goes on; the HTML report, if asked
 *   for and not begun yet, is then skipped (it can be made from the trace;
 *   runCommand also stops one being built on SIGTERM or SIGHUP, which ask
 *   for an end soon);
 * - a second SIGINT, SIGTERM or SIGQUIT stops: nothing is written at the
 *   destination (the temp file is removed), the run directory is removed as
 *   always, and the CLI dies of that signal (status 128 + N), as Unix tools do;
 * - SIGHUP never stops it: a closed terminal sends it more than once (the
 *   kernel to the foreground group, the shell to its jobs), and no one is
 *   left to say "again".
 *
 * Armed by the relay's owner when the script's process has exited (before the
 * relay's listeners go), disarmed once everything is saved.
 */
import { say } from './output';

const GUARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGHUP'];

export class SaveGuard {
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  /** The first signal received after the script ended. */
  first: NodeJS.Signals | undefined;
  /** The signal that asked to stop without saving. */
  stopSignal: NodeJS.Signals | undefined;
  /** What is being done now, for the message ("collecting the last events", "saving the trace (N events) to …"). */
  doing = 'collecting the last events of the run';
  /** What a second signal gives up, for the message. */
  givesUp = 'without saving';
  /** Called once when a signal asks to stop (the work in progress can end itself sooner). */
  onStop: (() => void) | undefined;
  /** Called on the first signal; true when it took care of it (then nothing is told here). */
  onFirst: ((sig: NodeJS.Signals) => boolean) | undefined;

  /** Takes INT, TERM, QUIT and HUP over (idempotent). */
  arm(): void {
    if (this.handlers.size) return;
    // A closed terminal (SIGHUP) makes writes to stderr fail: that must not end the save.
    process.stderr.on('error', ignore);
    for (const sig of GUARDED) {
      const handler = (): void => this.onSignal(sig);
      this.handlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  get stopped(): boolean {
    return this.stopSignal !== undefined;
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.stopSignal) return;
    if (!this.first) {
      this.first = sig;
      if (this.onFirst?.(sig)) return;
      const again = sig === 'SIGINT' ? 'press Ctrl-C again' : 'send SIGINT or SIGTERM again';
      say(`${sig}: the script has ended; ${this.doing} first; ${again} to stop ${this.givesUp}`);
      return;
    }
    if (sig === 'SIGHUP') return;
    this.stopSignal = sig;
    this.onStop?.();
  }

  /** Gives the signals back (their default action again). */
  disarm(): void {
    for (const [sig, handler] of this.handlers) process.removeListener(sig, handler);
    if (this.handlers.size) process.stderr.removeListener('error', ignore);
    this.handlers.clear();
  }
}

function ignore(): void {
  // see arm()
}
